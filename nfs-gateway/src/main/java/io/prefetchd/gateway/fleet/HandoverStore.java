package io.prefetchd.gateway.fleet;

import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.UploadedPart;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static java.util.Objects.requireNonNull;

/**
 * The object store under this member's own cache in a fleet: S3, except that grains which moved to this member
 * recently are first asked of the member that owned them before, for the bytes it still holds.
 *
 * <p>When a member joins, the fleet moves a share of its partitions to it, and with them the grains their owners
 * cached. The new owner's cache misses those grains, and without a hand-over fetches each from S3 although the old
 * owner still holds it. Here a ranged GET is cut at grain lines into runs of one previous owner; a run with one is
 * asked of it as a cached-only peer read (the old owner answers from its disk and never fetches), for the same
 * object version (ETag), so its bytes are exactly S3's. A run the old owner does not hold, or that fails in any way
 * (the member is gone, slow, stopping), is read from S3: a miss costs one peer call more than before, and members
 * that left the fleet are not asked at all. Every other run, and every other operation, goes to S3 as is.
 *
 * <p>Until this member joins a fleet ({@link #handOverFrom}), and in a gateway without one, everything goes to S3.
 *
 * <p>Thread-safe; does not block.
 */
public final class HandoverStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverStore.class);

    private final ObjectStore s3;
    private volatile @Nullable Source source;

    /** Where moved grains are asked for, once this member is in a fleet. */
    private record Source(Ownership ownership, PeerReads peers, FleetMetrics metrics, int grainShift) {
    }

    /** @param s3 where everything is read from until this member joins a fleet, and what no previous owner has */
    public HandoverStore(ObjectStore s3) {
        this.s3 = requireNonNull(s3, "s3 is null");
    }

    /** From now on, asks the previous owners {@code ownership} names for moved grains of {@code grain} bytes. */
    void handOverFrom(Ownership ownership, PeerReads peers, FleetMetrics metrics, int grain) {
        if (Integer.bitCount(grain) != 1) {
            throw new IllegalArgumentException("the cache's grain is not a power of two: " + grain);
        }
        source = new Source(requireNonNull(ownership, "ownership is null"), requireNonNull(peers, "peers is null"),
                requireNonNull(metrics, "metrics is null"), Integer.numberOfTrailingZeros(grain));
    }

    /** Bytes {@code [offset, offset + length)}, to ask of {@code from} first, or of S3 alone when it is null. */
    private record Run(long offset, int length, @Nullable Peer from) {
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length) {
        Source s = source;
        if (s == null || length <= 0 || !s.ownership().anyMovedHere()) {
            return s3.getRange(key, etag, offset, length);
        }
        List<Run> runs = runs(s, key, etag, offset, length);
        if (runs.size() == 1 && runs.get(0).from() == null) {
            return s3.getRange(key, etag, offset, length);
        }
        List<CompletableFuture<byte[]>> parts = new ArrayList<>(runs.size());
        for (Run r : runs) {
            parts.add(r.from() == null ? s3.getRange(key, etag, r.offset(), r.length()) : handOver(s, key, etag, r));
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(ignored -> {
            byte[] out = new byte[length];
            int n = 0;
            for (int i = 0; i < runs.size(); i++) {
                byte[] b = parts.get(i).join();
                int take = Math.min(b.length, runs.get(i).length());
                System.arraycopy(b, 0, out, n, take);
                n += take;
                if (take < runs.get(i).length()) {
                    break;   // the object ends here: S3 returns the bytes up to its end
                }
            }
            return n == length ? out : Arrays.copyOf(out, n);
        });
    }

    /** {@code [offset, offset + length)} cut at grain lines where the previous owner changes. */
    private static List<Run> runs(Source s, String key, String etag, long offset, int length) {
        List<Run> runs = new ArrayList<>(2);
        long end = offset + length;
        long runStart = offset;
        Peer runFrom = null;
        for (long pos = offset; pos < end; ) {
            long grain = pos >>> s.grainShift();
            Peer from = s.ownership().previousOwner(key, etag, grain);
            if (pos > runStart && !samePeer(from, runFrom)) {
                runs.add(new Run(runStart, (int) (pos - runStart), runFrom));
                runStart = pos;
            }
            runFrom = from;
            pos = Math.min(end, (grain + 1) << s.grainShift());
        }
        runs.add(new Run(runStart, (int) (end - runStart), runFrom));
        return runs;
    }

    private static boolean samePeer(@Nullable Peer a, @Nullable Peer b) {
        return a == null ? b == null : b != null && a.id().equals(b.id());
    }

    /**
     * A run asked of its previous owner for the bytes it holds; read from S3 when it holds not all of them or does not
     * answer. The request's size is the run's end: the store's caller names no size, and held blocks do not depend on
     * it.
     */
    private CompletableFuture<byte[]> handOver(Source s, String key, String etag, Run r) {
        Peer from = requireNonNull(r.from(), "a handed-over run has a previous owner");
        var request = new PeerProtocol.ReadRequest(new ObjectVersion(key, etag, r.offset() + r.length()), r.offset(),
                r.length(), true);
        return s.peers().read(from, request).handle((reply, failure) -> {
            if (failure == null && reply.data().length == r.length()) {
                s.metrics().handedOver(r.length());
                return CompletableFuture.completedFuture(reply.data());
            }
            s.metrics().handoverMissed();
            if (LOG.isDebugEnabled()) {
                LOG.debug("previous owner {} did not hand over {} [{}, +{}): {}; reading it from S3", from.address(),
                        key, r.offset(), r.length(), failure == null ? reply.data().length + " bytes" : failure);
            }
            return s3.getRange(key, etag, r.offset(), r.length());
        }).thenCompose(f -> f);
    }

    @Override
    public String bucket() {
        return s3.bucket();
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        return s3.head(key);
    }

    @Override
    public ListPage list(String prefix, @Nullable String delimiter, @Nullable String continuationToken, int maxKeys) {
        return s3.list(prefix, delimiter, continuationToken, maxKeys);
    }

    @Override
    public CompletableFuture<ObjectMeta> upload(String key, Path file, Map<String, String> metadata,
                                                boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        return s3.upload(key, file, metadata, ifNoneMatch, ifMatchEtag);
    }

    @Override
    public CompletableFuture<String> beginMultipart(String key, Map<String, String> metadata) {
        return s3.beginMultipart(key, metadata);
    }

    @Override
    public CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, ByteBuffer data) {
        return s3.uploadPart(key, uploadId, number, data);
    }

    @Override
    public CompletableFuture<UploadedPart> uploadPart(String key, String uploadId, int number, Path file,
                                                      long offset, long length) {
        return s3.uploadPart(key, uploadId, number, file, offset, length);
    }

    @Override
    public CompletableFuture<ObjectMeta> completeMultipart(String key, String uploadId, List<UploadedPart> parts,
                                                           boolean ifNoneMatch, @Nullable String ifMatchEtag) {
        return s3.completeMultipart(key, uploadId, parts, ifNoneMatch, ifMatchEtag);
    }

    @Override
    public CompletableFuture<Void> abortMultipart(String key, String uploadId) {
        return s3.abortMultipart(key, uploadId);
    }

    @Override
    public Optional<Map<String, String>> userMetadata(String key) {
        return s3.userMetadata(key);
    }

    @Override
    public ObjectMeta copy(String fromKey, String etag, String toKey) {
        return s3.copy(fromKey, etag, toKey);
    }

    @Override
    public void delete(String key) {
        s3.delete(key);
    }

    @Override
    public boolean delete(String key, String etag) {
        return s3.delete(key, etag);
    }

    /** Closes the S3 store under it. */
    @Override
    public void close() {
        s3.close();
    }
}

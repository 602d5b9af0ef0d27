package io.prefetchd.gateway.fleet;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.prefetchd.gateway.cache.CacheStats;
import io.prefetchd.gateway.cache.CutSet;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static java.util.Objects.requireNonNull;

/**
 * The fleet's cache as one member sees it: this gateway's own cache for the grains it owns, the owners' caches for
 * the rest.
 *
 * <h2>Reads</h2>
 * A read is cut at grain lines into runs of one owner each. Runs this member owns (or whose owner is unknown while
 * the fleet re-forms) are read from the local cache, as without a fleet. Runs another member owns are asked of that
 * owner over the peer data channel, all at once; the owner reads them through its own cache, which single-flights
 * the S3 GET of a missing block and keeps the block, so S3 sees each missing block about once per fleet and the
 * reader's cache is not spent on blocks it does not own.
 *
 * <h2>Failures</h2>
 * When the owner cannot be asked, fails, or does not answer within the peer timeout, the run is read from the local
 * cache instead, which fetches it from S3 (single-flighted on this member): the reader gets correct bytes a GET
 * later, never an error. The local copy then ages out of the cache as usual. An owner's final answers about the
 * object (gone, changed, forbidden) are passed on as the same {@link ObjectStoreException} S3 would have given.
 *
 * <h2>Prefetch</h2>
 * Each member prefetches only the grains it owns: the planners of every member see the same hints, and the parts of
 * a prefetch another member owns are left to that member's planner.
 *
 * <p>Thread-safe: stateless beyond its collaborators, which are thread-safe.
 */
final class FleetExtentCache implements ExtentCache {
    private static final Logger LOG = LoggerFactory.getLogger(FleetExtentCache.class);

    private final ExtentCache local;
    private final Ownership ownership;
    private final PeerReads peers;
    private final FleetMetrics metrics;
    private final String bucket;
    /** Owners that refused this member's token, warned of once each. */
    private final Set<String> refusedBy = ConcurrentHashMap.newKeySet();
    /** The fleet this view belongs to; null when a test uses the view alone. */
    private final Fleet fleet;
    private final int grainShift;

    /**
     * @param local this gateway's own cache
     * @param bucket the bucket, for the errors of owners' final answers
     * @param fleet left before {@code local} is closed; null for none
     */
    FleetExtentCache(ExtentCache local, Ownership ownership, PeerReads peers, FleetMetrics metrics, String bucket,
                     Fleet fleet) {
        this.local = requireNonNull(local, "local is null");
        this.ownership = requireNonNull(ownership, "ownership is null");
        this.peers = requireNonNull(peers, "peers is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.bucket = requireNonNull(bucket, "bucket is null");
        this.fleet = fleet;
        int grain = local.grainBytes();
        if (Integer.bitCount(grain) != 1) {
            throw new IllegalArgumentException("the cache's grain is not a power of two: " + grain);
        }
        this.grainShift = Integer.numberOfTrailingZeros(grain);
    }

    /** Bytes {@code [offset, offset + length)}, all of one owner; {@code owner} null for this member. */
    record Run(long offset, int length, @Nullable Peer owner) {
    }

    /** The runs of {@code [offset, offset + length)} (within the object), cut at grain lines where the owner changes. */
    List<Run> runs(ObjectVersion object, long offset, int length) {
        List<Run> runs = new ArrayList<>(2);
        long end = offset + length;
        long runStart = offset;
        Peer runOwner = null;
        for (long pos = offset; pos < end; ) {
            long grain = pos >>> grainShift;
            long next = Math.min(end, (grain + 1) << grainShift);
            Peer owner = ownership.remoteOwner(object, grain);
            if (pos > runStart && !sameOwner(owner, runOwner)) {
                runs.add(new Run(runStart, (int) (pos - runStart), runOwner));
                runStart = pos;
            }
            runOwner = owner;
            pos = next;
        }
        if (end > runStart) {
            runs.add(new Run(runStart, (int) (end - runStart), runOwner));
        }
        return runs;
    }

    private static boolean sameOwner(@Nullable Peer a, @Nullable Peer b) {
        return a == null ? b == null : b != null && a.id().equals(b.id());
    }

    @Override
    public CachedRead readTracked(ObjectVersion object, long offset, int length) {
        try {
            return readAsync(object, offset, length).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Every run at once: this member's runs from the local cache, the others from their owners; completes when the
     * last run arrives, without a thread waiting for it.
     */
    @Override
    public CompletableFuture<CachedRead> readAsync(ObjectVersion object, long offset, int length) {
        requireNonNull(object, "object is null");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range " + offset + "+" + length);
        }
        int n = (int) Math.max(0, Math.min(length, object.size() - offset));
        List<Run> runs = n == 0 ? List.of() : runs(object, offset, n);
        if (runs.isEmpty() || runs.size() == 1 && runs.get(0).owner() == null) {
            return local.readAsync(object, offset, length);
        }
        long started = System.nanoTime();
        List<CompletableFuture<CachedRead>> parts = new ArrayList<>(runs.size());
        for (Run r : runs) {
            parts.add(r.owner() == null ? local.readAsync(object, r.offset(), r.length()) : fromOwner(object, r));
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(ignored -> {
            byte[] out = new byte[n];
            int missed = 0;
            long wait = 0;
            for (int i = 0; i < runs.size(); i++) {
                Run r = runs.get(i);
                CachedRead c = parts.get(i).join();
                if (c.data().length != r.length()) {
                    throw new ObjectStoreException(ObjectStoreException.Kind.IO, bucket, object.key(), "fleet read of ["
                            + r.offset() + ", +" + r.length() + ") returned " + c.data().length + " bytes");
                }
                System.arraycopy(c.data(), 0, out, (int) (r.offset() - offset), c.data().length);
                missed += c.missedBlocks();
                wait = Math.max(wait, c.waitNanos());
            }
            return new CachedRead(out, missed, missed > 0 ? Math.max(wait, System.nanoTime() - started) : wait);
        });
    }

    /**
     * A run read by its owner; read from the local cache instead when the owner could not be asked or did not answer
     * in time, or answered with the wrong length. Fails with the owner's final answer about the object (gone,
     * changed, forbidden) as the {@link ObjectStoreException} S3 would have given.
     */
    private CompletableFuture<CachedRead> fromOwner(ObjectVersion object, Run r) {
        Peer owner = requireNonNull(r.owner(), "a run read by its owner has one");
        return peers.read(owner, new PeerProtocol.ReadRequest(object, r.offset(), r.length()))
                .handle((reply, failure) -> {
                    if (failure == null && reply.data().length == r.length()) {
                        metrics.peerOk(reply.data().length);
                        return CompletableFuture.completedFuture(new CachedRead(reply.data(), reply.missedBlocks(), 0));
                    }
                    if (failure == null) {
                        LOG.warn("owner {} sent {} bytes for {} [{}, +{}): reading it here", owner.address(),
                                reply.data().length, object.key(), r.offset(), r.length());
                    } else {
                        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause() : failure;
                        ObjectStoreException.Kind kind = finalAnswer(cause);
                        if (kind != null) {
                            metrics.peerFailed();
                            return CompletableFuture.<CachedRead>failedFuture(new ObjectStoreException(kind, bucket,
                                    object.key(), "owner " + owner.address() + " read [" + r.offset() + ", +"
                                    + r.length() + "): " + cause.getMessage()));
                        }
                        if (refused(cause)) {
                            metrics.peerRefused();
                            if (refusedBy.add(owner.id())) {
                                LOG.warn("owner {} refused this member's signed reads, or answered unsigned ({}): "
                                        + "the members' prefetchd.fleet.token differ or their clocks are over 5 "
                                        + "minutes apart; reading its grains from S3", owner.address(),
                                        cause.getMessage());
                            }
                            return local.readAsync(object, r.offset(), r.length());
                        }
                        LOG.debug("owner {} did not serve {} [{}, +{}): {}; reading it here", owner.address(),
                                object.key(), r.offset(), r.length(), cause.toString());
                    }
                    metrics.peerFallback();
                    return local.readAsync(object, r.offset(), r.length());
                })
                .thenCompose(f -> f);
    }

    /** Whether {@code cause} is an owner refusing this member's fleet token. */
    private static boolean refused(Throwable cause) {
        return cause instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAUTHENTICATED;
    }

    /** The object-store meaning of an owner's final answer, or null when the read should be tried here. */
    static ObjectStoreException.@Nullable Kind finalAnswer(Throwable t) {
        if (!(t instanceof StatusRuntimeException s)) {
            return null;
        }
        Status.Code code = s.getStatus().getCode();
        return switch (code) {
            case NOT_FOUND -> ObjectStoreException.Kind.NOT_FOUND;
            case FAILED_PRECONDITION -> ObjectStoreException.Kind.CHANGED;
            case PERMISSION_DENIED -> ObjectStoreException.Kind.ACCESS_DENIED;
            default -> null;
        };
    }

    @Override
    public CompletableFuture<Void> prefetch(ObjectVersion object, long offset, long length, boolean hold) {
        requireNonNull(object, "object is null");
        long end = Math.min(object.size(), offset + Math.max(0, length));
        if (offset >= end) {
            return local.prefetch(object, offset, length, hold);
        }
        List<CompletableFuture<Void>> mine = new ArrayList<>(1);
        long skipped = 0;
        for (long pos = offset; pos < end; ) {   // runs per owner, without materialising the (long) range's list
            int chunk = (int) Math.min(end - pos, 1 << 30);
            for (Run r : runs(object, pos, chunk)) {
                if (r.owner() == null) {
                    mine.add(local.prefetch(object, r.offset(), r.length(), hold));
                } else {
                    skipped += r.length();
                }
            }
            pos += chunk;
        }
        if (skipped > 0) {
            metrics.prefetchSkipped(skipped);
        }
        return mine.size() == 1 ? mine.get(0) : CompletableFuture.allOf(mine.toArray(CompletableFuture[]::new));
    }

    Fleet fleet() {
        return fleet;
    }

    @Override
    public void release(ObjectVersion object, long offset, long length, boolean drop) {
        local.release(object, offset, length, drop);
    }

    @Override
    public List<Range> cachedRanges(ObjectVersion object) {
        return local.cachedRanges(object);
    }

    @Override
    public List<Range> cachedRanges(ObjectVersion object, long from, long to) {
        return local.cachedRanges(object, from, to);
    }

    @Override
    public void cutAt(ObjectVersion object, CutSet offsets) {
        local.cutAt(object, offsets);
    }

    @Override
    public int grainBytes() {
        return local.grainBytes();
    }

    @Override
    public boolean offer(ObjectVersion object, ByteSource source) {
        return local.offer(object, source);
    }

    /** Carried in this member's own cache only: the copy's bytes are on its disk, whoever owns its grains. */
    @Override
    public boolean carry(ObjectVersion from, ObjectVersion to) {
        return local.carry(from, to);
    }

    @Override
    public CacheStats stats() {
        return local.stats();
    }

    /** Leaves the fleet (peers then read what this member owned from S3, then from its new owners), then closes. */
    @Override
    public void close() {
        try {
            if (fleet != null) {
                fleet.leave();
            }
        } catch (RuntimeException e) {
            LOG.warn("leaving the fleet: {}", e.toString());
        } finally {
            local.close();
        }
    }
}

package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static java.util.Objects.requireNonNull;

/**
 * Moves every key under one prefix to another: a directory rename in S3, which has none. Each key costs a
 * server-side copy and a delete, so a directory with more than {@code maxKeys} keys is refused. A move is
 * restartable: copying a key again and deleting a key already gone both succeed, so a move cut short by a crash is
 * finished by running it again (the journal says which moves were running).
 *
 * <p>Thread-safe: stateless apart from its settings.
 */
final class DirectoryMover {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryMover.class);
    private static final int PAGE = 1000;

    private final ObjectStore store;
    private final int maxKeys;
    private final Path emptyFile;
    private final CachedCopies cachedCopies;

    /**
     * @param emptyFile an empty local file, the body of the folder markers put at the new names
     * @param cachedCopies carries each object's cached bytes to its copy
     */
    DirectoryMover(ObjectStore store, int maxKeys, Path emptyFile, CachedCopies cachedCopies) {
        this.store = requireNonNull(store, "store is null");
        this.maxKeys = maxKeys;
        this.emptyFile = requireNonNull(emptyFile, "emptyFile is null");
        this.cachedCopies = requireNonNull(cachedCopies, "cachedCopies is null");
    }

    /**
     * The keys under {@code fromPrefix}, or XDEV when there are more than {@code maxKeys} (so that
     * {@code mv} falls back to copying file by file, which shows progress and can be interrupted).
     */
    List<ObjectMeta> keysWithinLimit(String fromPrefix) throws FsException {
        List<ObjectMeta> keys = keys(fromPrefix, maxKeys + 1);
        if (keys.size() > maxKeys) {
            LOG.warn("rename of s3://{}/{} refused: more than {} keys under it (prefetchd.write.max-rename-keys); "
                    + "each would be copied and deleted in S3", store.bucket(), fromPrefix, maxKeys);
            throw new FsException(FsError.XDEV, "directory " + fromPrefix + " has more than " + maxKeys
                    + " keys: too many to rename in S3");
        }
        return keys;
    }

    /**
     * Moves {@code keys} (all under {@code fromPrefix}) under {@code toPrefix}: copy each, then delete it. A folder
     * marker is put anew with its user metadata instead of copied: it has no bytes to keep consistent, and stores
     * disagree on a marker's ETag between LIST and HEAD (S3Proxy's file system backend shows none on HEAD), which
     * would fail the copy's If-Match.
     */
    void move(List<ObjectMeta> keys, String fromPrefix, String toPrefix) {
        move(keys, fromPrefix, toPrefix, false);
    }

    private void move(List<ObjectMeta> keys, String fromPrefix, String toPrefix, boolean resuming) {
        for (ObjectMeta m : keys) {
            String to = toPrefix + m.key().substring(fromPrefix.length());
            if (resuming && !isMarker(m) && store.head(to).isPresent()) {
                // copied before the move was cut short, or written since (a file moved with the directory, uploaded
                // after the move stopped on an S3 error): either way newer than this, which goes
                LOG.info("s3://{}/{} is there already: {} is deleted, not copied over it", store.bucket(), to,
                        m.key());
            } else if (isMarker(m)) {
                Map<String, String> metadata = store.userMetadata(m.key()).orElse(Map.of());
                try {
                    store.upload(to, emptyFile, metadata, false, null).join();
                } catch (CompletionException e) {
                    throw e.getCause() instanceof ObjectStoreException o ? o : e;
                }
            } else {
                ObjectMeta copied = store.copy(m.key(), m.etag(), to);
                cachedCopies.copied(new ObjectVersion(m.key(), m.etag(), m.size()), copied);
            }
            store.delete(m.key());
        }
    }

    private static boolean isMarker(ObjectMeta m) {
        return m.key().endsWith("/") && m.size() == 0;
    }

    /**
     * Finishes a move cut short: whatever is still under {@code fromPrefix} goes under {@code toPrefix}, except what
     * {@code keep} leaves out of the keys listed there. A key whose new name holds an object already is deleted, not
     * copied: the move copied it before it was cut short, or a file staged under that name went up since.
     */
    void resume(String fromPrefix, String toPrefix, java.util.function.UnaryOperator<List<ObjectMeta>> keep) {
        List<ObjectMeta> keys = keys(fromPrefix, Integer.MAX_VALUE);
        LOG.info("finishing the rename of s3://{}/{} to {}: {} keys left", store.bucket(), fromPrefix, toPrefix,
                keys.size());
        move(keep.apply(keys), fromPrefix, toPrefix, true);
    }

    private List<ObjectMeta> keys(String prefix, int limit) {
        List<ObjectMeta> out = new ArrayList<>();
        String token = null;
        do {
            ListPage page = store.list(prefix, null, token, PAGE);
            out.addAll(page.objects());
            token = page.nextToken();
        } while (token != null && out.size() < limit);
        return out;
    }
}

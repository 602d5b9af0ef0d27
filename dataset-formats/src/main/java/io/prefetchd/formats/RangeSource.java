package io.prefetchd.formats;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The little an index builder needs from where a dataset lives: list, stat, ranged reads and one sequential
 * stream. The gateway implements it over its S3 object store; {@link #localFolder} serves a local folder.
 *
 * <p>Implementations are thread-safe: an indexer reads several objects in parallel. Reads name the object
 * version ({@link ObjectRef} with its ETag) so that an implementation can make them conditional
 * ({@code If-Match}) and fail instead of mixing the bytes of two versions.
 */
public interface RangeSource {

    /**
     * Every object whose key starts with {@code prefix} (no delimiter: the whole subtree), sorted by key in
     * code point order, as S3's ListObjectsV2 returns them. Folder markers (keys ending in {@code /}) are left
     * out.
     */
    List<ObjectRef> list(String prefix) throws IOException;

    /**
     * The objects {@link #list(String)} returns, in the same order and with the same folder markers left out,
     * handed to {@code each} one at a time as they are listed, so that a caller that does not keep them holds
     * none: a source that lists in pages (S3's ListObjectsV2) holds one page at a time. An exception from
     * {@code each} stops the listing and is thrown here. The default lists everything, then hands it out.
     */
    default void list(String prefix, ListingConsumer each) throws IOException {
        for (ObjectRef o : list(prefix)) {
            each.accept(o);
        }
    }

    /** The object with exactly this key, or empty. */
    Optional<ObjectRef> head(String key) throws IOException;

    /**
     * Bytes {@code [offset, offset + length)} of the object. Returns fewer bytes only when the object ends
     * first ({@code min(length, size - offset)}, none at or past the end).
     *
     * @throws IOException when the object cannot be read or no longer has {@code object.etag()}
     */
    byte[] read(ObjectRef object, long offset, int length) throws IOException;

    /**
     * The whole object as a stream from byte 0. {@link InputStream#skip} may be cheap (local files) or read
     * through (HTTP); callers stream each object once.
     */
    InputStream stream(ObjectRef object) throws IOException;

    /**
     * A source over a local folder: keys are {@code /}-separated paths relative to {@code root}; an object's
     * ETag is derived from its size and modification time.
     */
    static RangeSource localFolder(Path root) {
        return new LocalRangeSource(root);
    }

    /** Takes the objects of a listing one at a time, in key order; may stop the listing by throwing. */
    @FunctionalInterface
    interface ListingConsumer {
        void accept(ObjectRef object) throws IOException;
    }
}

package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

/**
 * An object left out of an index because it could not be read or is malformed; the rest of the dataset is
 * indexed. Failed objects are retried by the next {@link DatasetIndexer#refresh refresh}.
 *
 * @param object the object key
 * @param offset the byte offset of the problem, or -1 when it is not about a position (e.g. a missing shard)
 * @param message a one-line description naming the object and, when known, the offset
 */
public record ObjectFailure(String object, long offset, String message) {
    public ObjectFailure {
        requireNonNull(object, "object is null");
        requireNonNull(message, "message is null");
    }

    static ObjectFailure of(String object, Throwable e) {
        if (e instanceof FormatException f) {
            return new ObjectFailure(f.object(), f.offset(), f.getMessage());
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ObjectFailure(object, -1, object + ": " + m);
    }
}

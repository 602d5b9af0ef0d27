package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * An object's bytes are not what its format says they must be. The message names the object and the byte
 * offset where the problem was found, e.g. {@code train-000003.tar at byte 1536: bad tar header checksum}.
 */
public final class FormatException extends IOException {
    private final String object;
    private final long offset;
    private final String problem;

    public FormatException(String object, long offset, String problem) {
        this(object, offset, problem, null);
    }

    public FormatException(String object, long offset, String problem, @Nullable Throwable cause) {
        super(requireNonNull(object, "object is null") + " at byte " + offset + ": "
                + requireNonNull(problem, "problem is null"), cause);
        this.object = object;
        this.offset = offset;
        this.problem = problem;
    }

    /** The object, the offset and the problem in one line; never null. */
    @Override
    public String getMessage() {
        return object + " at byte " + offset + ": " + problem;
    }

    /** The object key. */
    public String object() {
        return object;
    }

    /** The byte offset in the object where the problem was found. */
    public long offset() {
        return offset;
    }

    /** The problem without the object and offset. */
    public String problem() {
        return problem;
    }
}

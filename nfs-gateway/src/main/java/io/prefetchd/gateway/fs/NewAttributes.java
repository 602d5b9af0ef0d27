package io.prefetchd.gateway.fs;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * What SETATTR, or the attributes of an OPEN that creates or of a CREATE, ask to change; an empty field stays as it
 * is. "Set to server time" is resolved by the NFS layer before it gets here, so times are always instants.
 */
public record NewAttributes(OptionalLong size, Optional<Integer> mode, Optional<Integer> uid, Optional<Integer> gid,
                            Optional<Instant> atime, Optional<Instant> mtime) {
    public static final NewAttributes NONE = new NewAttributes(OptionalLong.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    public NewAttributes {
        requireNonNull(size, "size is null");
        requireNonNull(mode, "mode is null");
        requireNonNull(uid, "uid is null");
        requireNonNull(gid, "gid is null");
        requireNonNull(atime, "atime is null");
        requireNonNull(mtime, "mtime is null");
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException("size must be at least 0");
        }
    }

    public boolean isEmpty() {
        return this.equals(NONE);
    }
}

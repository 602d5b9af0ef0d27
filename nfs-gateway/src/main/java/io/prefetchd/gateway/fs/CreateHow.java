package io.prefetchd.gateway.fs;

import static java.util.Objects.requireNonNull;

/**
 * How OPEN creates a regular file: {@code UNCHECKED} opens an existing file (applying {@code attributes}, which may
 * truncate it), {@code GUARDED} fails with EXIST when the name exists, {@code EXCLUSIVE} succeeds on an
 * existing file only when it was created with the same {@code verifier} (a retransmitted create), else
 * EXIST.
 */
public record CreateHow(Mode mode, long verifier, NewAttributes attributes) {
    public enum Mode { UNCHECKED, GUARDED, EXCLUSIVE }

    public CreateHow {
        requireNonNull(mode, "mode is null");
        requireNonNull(attributes, "attributes is null");
    }
}

package io.prefetchd.gateway.fs;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/** What a HEAD or probe answered about one name (present or not), and when. */
record Known<T>(T value, Instant loadedAt) implements Stamped {
    Known {
        requireNonNull(value, "value is null");
        requireNonNull(loadedAt, "loadedAt is null");
    }
}

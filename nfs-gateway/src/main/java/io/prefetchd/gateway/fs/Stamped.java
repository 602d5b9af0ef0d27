package io.prefetchd.gateway.fs;

import java.time.Instant;

/** A value read from S3 at a known time. */
interface Stamped {
    Instant loadedAt();
}

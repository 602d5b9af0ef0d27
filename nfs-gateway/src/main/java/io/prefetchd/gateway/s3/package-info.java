/**
 * The object-store boundary: everything the gateway needs from S3 (HEAD, ListObjectsV2, ranged GET with
 * {@code If-Match}) behind the small {@link io.prefetchd.gateway.s3.ObjectStore} interface.
 *
 * <p>{@link io.prefetchd.gateway.s3.S3ObjectStore} is the real implementation on the AWS SDK v2 async
 * client; {@link io.prefetchd.gateway.s3.InMemoryObjectStore} is a thread-safe fake with identical listing
 * semantics, for tests and benchmarks. SDK errors become {@link io.prefetchd.gateway.s3.ObjectStoreException}
 * in exactly one place ({@code S3ObjectStore#translate}); nothing above this package sees an SDK type.
 */
package io.prefetchd.gateway.s3;

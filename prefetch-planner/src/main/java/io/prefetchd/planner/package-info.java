/**
 * Prefetch planner: a pure planning core (no NFS, S3 or Micronaut) that turns an epoch's access order,
 * format indexes and the cache's state into a fetch schedule and eviction choices.
 */
package io.prefetchd.planner;

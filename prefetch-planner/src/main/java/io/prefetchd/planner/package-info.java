/**
 * Prefetch planner: a pure planning core (no NFS, S3 or Micronaut) that turns an epoch's access order (published
 * or learned), the dataset's extents and the cache's state into an ordered fetch schedule with deadlines and
 * eviction choices.
 *
 * <p>Public surface: {@link io.prefetchd.planner.Planner} (a session the executor drives with events),
 * {@link io.prefetchd.planner.Planners} (factories and one-shot {@link io.prefetchd.planner.Plan}s),
 * {@link io.prefetchd.planner.StoreModelEstimator}, and the records it speaks in. The engine
 * ({@code PlanningEngine} and its parts) is package-private; its design is written at the top of that class.
 */
package io.prefetchd.planner;

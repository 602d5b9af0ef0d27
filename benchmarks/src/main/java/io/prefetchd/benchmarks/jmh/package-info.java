/**
 * JMH micro-benchmarks of the hot paths: {@link io.prefetchd.benchmarks.jmh.XdrReadBench} (READ COMPOUND decode and
 * reply encode), {@link io.prefetchd.benchmarks.jmh.CacheReadBench} (cached extent-cache reads),
 * {@link io.prefetchd.benchmarks.jmh.PlannerStepBench} (the planner on a 1M-sample epoch). Run with
 * {@code benchmarks/run-jmh}; each class states its question and rerun command and measures a baseline in the same
 * run.
 */
package io.prefetchd.benchmarks.jmh;

/**
 * The trace-driven simulator ({@code prefetchd simulate}): every policy (LRU, W-TinyLFU through Caffeine itself,
 * Belady's OPT, pin-c, our planner with and without hints) over the same trace, under one store model (latency,
 * bandwidth, GETs in flight) and one reader model (throughput, reads outstanding), in simulated time. Public:
 * {@link io.prefetchd.planner.sim.Simulator}, {@link io.prefetchd.planner.sim.Workloads}, the records of a run and
 * {@link io.prefetchd.planner.sim.SimulateCommand}; the harness and the baseline policies are package-private.
 */
package io.prefetchd.planner.sim;

/**
 * Epoch reports: the gateway's executor records an epoch into an {@link io.prefetchd.planner.report.EpochLog};
 * {@link io.prefetchd.planner.report.Reports} turns it into an {@link io.prefetchd.planner.report.EpochReport}
 * (with LRU and OPT simulated on the same reads) and writes reports as JSON, an HTML page or a terminal table.
 * Pure: times come in as arguments, and nothing here does I/O. docs/REPORTS.md defines every figure.
 */
package io.prefetchd.planner.report;

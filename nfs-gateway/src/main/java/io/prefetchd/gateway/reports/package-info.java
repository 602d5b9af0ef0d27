/**
 * Epoch reports in the daemon: {@link io.prefetchd.gateway.reports.ReportStore} (live epoch logs, the last reports
 * per dataset and job, persisted under {@code <state-dir>/reports/}), the HTTP endpoints {@code /api/reports} and
 * {@code /reports}, and the {@code prefetchd report} command. The reports themselves are built by
 * {@code io.prefetchd.planner.report}.
 */
package io.prefetchd.gateway.reports;

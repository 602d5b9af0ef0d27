package io.prefetchd.gateway.reports;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.annotation.QueryValue;
import io.prefetchd.planner.report.Reports;

/**
 * HTTP: {@code GET /api/reports} (JSON, docs/REPORTS.md) and {@code GET /reports} (the HTML page), both
 * optionally filtered with {@code ?dataset=&job=}. Completed epochs first, then partial reports of epochs in
 * progress, grouped by dataset and job.
 */
@Controller
public class ReportsController {
    private final ReportStore store;

    public ReportsController(ReportStore store) {
        this.store = store;
    }

    @Get("/api/reports{?dataset,job}")
    @Produces("application/json; charset=utf-8")
    public String json(@Nullable @QueryValue String dataset, @Nullable @QueryValue String job) {
        return Reports.toJson(store.reports(dataset, job));
    }

    @Get("/reports{?dataset,job}")
    @Produces("text/html; charset=utf-8")
    public String page(@Nullable @QueryValue String dataset, @Nullable @QueryValue String job) {
        return Reports.html(store.reports(dataset, job));
    }
}

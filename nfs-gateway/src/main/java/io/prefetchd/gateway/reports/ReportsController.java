package io.prefetchd.gateway.reports;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.annotation.QueryValue;
import io.prefetchd.planner.report.Reports;

/**
 * HTTP: {@code GET /api/reports} (JSON, docs/REPORTS.md) and {@code GET /reports} (the HTML page), both
 * optionally filtered with {@code ?dataset=&job=} and cut to the {@code limit} most recent completed epochs (JSON:
 * all by default; the page: {@value #PAGE_LIMIT}, a page of thousands of plots helps no one). Completed epochs
 * first, then partial reports of epochs in progress, grouped by dataset and job.
 */
@Controller
public class ReportsController {
    private final ReportStore store;

    public ReportsController(ReportStore store) {
        this.store = store;
    }

    /** Completed epochs shown on the page unless {@code ?limit=} says otherwise. */
    static final int PAGE_LIMIT = 50;

    @Get("/api/reports{?dataset,job,limit}")
    @Produces("application/json; charset=utf-8")
    public String json(@Nullable @QueryValue String dataset, @Nullable @QueryValue String job,
                       @Nullable @QueryValue Integer limit) {
        return Reports.toJson(store.reports(dataset, job, limit == null ? 0 : Math.max(0, limit)));
    }

    @Get("/reports{?dataset,job,limit}")
    @Produces("text/html; charset=utf-8")
    public String page(@Nullable @QueryValue String dataset, @Nullable @QueryValue String job,
                       @Nullable @QueryValue Integer limit) {
        return Reports.html(store.reports(dataset, job, limit == null ? PAGE_LIMIT : Math.max(0, limit)));
    }
}

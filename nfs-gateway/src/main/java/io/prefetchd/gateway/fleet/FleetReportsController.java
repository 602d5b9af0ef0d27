package io.prefetchd.gateway.fleet;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.annotation.QueryValue;

/**
 * HTTP: {@code GET /api/fleet/reports} ({@link FleetReport}'s JSON), optionally filtered with {@code ?dataset=&job=}:
 * the fleet's completed epochs, summed over the members with each member's figures. A gateway outside a fleet
 * answers {@code "fleet": null}.
 */
@Controller
@Requires(beans = FleetReports.class)
public class FleetReportsController {
    private final FleetReports reports;

    public FleetReportsController(FleetReports reports) {
        this.reports = reports;
    }

    @Get("/api/fleet/reports{?dataset,job}")
    @Produces("application/json; charset=utf-8")
    public String json(@Nullable @QueryValue String dataset, @Nullable @QueryValue String job) {
        return reports.report(dataset, job).toJson();
    }
}

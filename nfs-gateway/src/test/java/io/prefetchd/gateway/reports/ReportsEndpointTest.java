package io.prefetchd.gateway.reports;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The daemon's /api/reports, /reports and report meters, and {@code prefetchd report --url} against them. */
class ReportsEndpointTest {

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void runningDaemon_servesSavedAndLiveReports(@TempDir Path state) throws Exception {
        ReportCommandTest.stateWithReports(state); // saved before the daemon starts: reloaded
        Map<String, Object> props = Map.of("prefetchd.gateway.enabled", "false", "micronaut.server.port", -1,
                "micronaut.server.host", "127.0.0.1", "prefetchd.state-dir", state.toString());
        try (ApplicationContext ctx = Daemon.start(props)) {
            String base = "http://127.0.0.1:" + Daemon.httpPort(ctx);
            ReportStore store = ctx.getBean(ReportStore.class);
            EpochLog live = store.begin("imagenet", "run2", 0, 0, 100, 1_000, false);
            live.read(10, 3, 100, 0);

            HttpResponse<String> json = get(base + "/api/reports?dataset=imagenet");
            assertEquals(200, json.statusCode());
            assertTrue(json.headers().firstValue("content-type").orElse("").startsWith("application/json"));
            List<EpochReport> reports = Reports.fromJson(json.body());
            assertEquals(List.of("run1", "run2"), reports.stream().map(EpochReport::job).toList());
            assertTrue(reports.get(0).complete());
            assertFalse(reports.get(1).complete());
            assertEquals("epoch in progress", reports.get(1).counterfactualNote());
            assertEquals(3, Reports.fromJson(get(base + "/api/reports").body()).size());
            assertEquals(List.of("run1", "run2"), Reports.fromJson(get(base + "/api/reports?limit=1").body()).stream()
                    .map(EpochReport::job).toList(), "the last completed one, and the running one");

            HttpResponse<String> page = get(base + "/reports?job=run1");
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
            assertEquals(2, ReportsTestSupport.count(page.body(), "<svg class=\"timeline\""));

            String metrics = get(base + "/metrics").body();
            assertTrue(metrics.contains("prefetchd_reports_kept 2.0"), metrics);
            assertTrue(metrics.contains("prefetchd_reports_epochs_running 1.0"), metrics);
            assertTrue(metrics.contains("prefetchd_reports_no_wait_share{dataset=\"coco\",dataset_path=\"\"}"), metrics);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new ReportCommand());
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            assertEquals(0, cl.execute("--url", base, "--job", "run2"), err.toString());
            assertTrue(out.toString().startsWith("imagenet / run2: "), out.toString());
            assertTrue(out.toString().contains("running"), out.toString());
        }
    }
}

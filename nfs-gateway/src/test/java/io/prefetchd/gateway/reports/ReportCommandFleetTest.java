package io.prefetchd.gateway.reports;

import com.sun.net.httpserver.HttpServer;
import io.prefetchd.gateway.fleet.FleetEpoch;
import io.prefetchd.gateway.fleet.FleetReport;
import io.prefetchd.gateway.fleet.MemberEpoch;
import io.prefetchd.planner.report.Reports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prefetchd report} against a daemon in a fleet (a stub HTTP server answering as one would). */
class ReportCommandFleetTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private int run(String... args) {
        CommandLine cl = new CommandLine(new ReportCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /** A daemon without epoch reports of its own, whose fleet answers {@code fleet} (null: no such endpoint). */
    private String daemon(FleetReport fleet) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String body = path.equals("/api/reports") ? Reports.toJson(List.of())
                    : path.equals("/api/fleet/reports") && fleet != null ? fleet.toJson() : null;
            byte[] b = (body == null ? "not found" : body).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(body == null ? 404 : 200, b.length);
            exchange.getResponseBody().write(b);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static FleetReport twoMembers() {
        return new FleetReport("prod", List.of("10.0.0.1:5701"), FleetEpoch.aggregate(List.of(
                new MemberEpoch("10.0.0.1:5701", "ds-1", "train", "webdataset", "run7", 3, true, "", 40, 4000, 1000,
                        2, 3, 3000, 500),
                new MemberEpoch("10.0.0.2:5701", "ds-1", "train", "webdataset", "run7", 3, true, "", 60, 6000, 3000,
                        1, 2, 2000, 700))));
    }

    @Test
    void daemonInAFleet_showsTheFleetsTableAfterItsOwn() throws Exception {
        assertEquals(0, run("--url", daemon(twoMembers())), err.toString());
        String text = out.toString();
        assertTrue(text.contains("fleet prod: 1 members now (10.0.0.1:5701)"), text);
        assertTrue(text.contains("train (webdataset) / run7 (fleet)"), text);
        assertTrue(text.lines().anyMatch(l -> l.contains("all 2") && l.contains(" 100 ")), text);
        assertTrue(text.contains("10.0.0.2:5701 (down)"), text);
    }

    @Test
    void fleetJson_isTheFleetsDocument() throws Exception {
        assertEquals(0, run("--url", daemon(twoMembers()), "--fleet", "--json"), err.toString());
        assertEquals(twoMembers(), FleetReport.fromJson(out.toString()));
    }

    @Test
    void daemonWithoutAFleet_orTooOldForOne_showsItsOwnReportsOnly() throws Exception {
        assertEquals(0, run("--url", daemon(null)), err.toString());
        assertTrue(!out.toString().contains("fleet"), out.toString());
        stop();
        assertEquals(0, run("--url", daemon(FleetReport.none()), "--fleet"), err.toString());
        assertTrue(out.toString().endsWith("this daemon is not in a fleet\n"), out.toString());
    }

    @Test
    void fleetWithStateDir_isAUsageError() {
        assertEquals(2, run("--fleet", "--state-dir", "/nonexistent"));
        assertTrue(err.toString().contains("--fleet asks a running daemon"), err.toString());
    }
}

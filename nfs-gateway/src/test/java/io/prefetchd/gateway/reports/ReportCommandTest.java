package io.prefetchd.gateway.reports;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.report.Reports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code prefetchd report} on its own (a {@link CommandLine} like Main's): saved reports, JSON, and one clear line
 * for every way of not getting reports. Against a running daemon: {@link ReportsEndpointTest}.
 */
class ReportCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cl = new CommandLine(new ReportCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /** A state folder with two saved reports (datasets "imagenet" and "coco"). */
    static Path stateWithReports(Path state) {
        try (ReportStore store = new ReportStore(state.resolve("reports"), 50, 100, Runnable::run, new ManualClock(),
                new SimpleMeterRegistry())) {
            for (String dataset : new String[] {"imagenet", "coco"}) {
                EpochLog log = store.begin(dataset, "run1", 1, 0, 100_000_000, 200_000_000, true);
                ReportFixtures.record(log, ReportFixtures.permutation(new Random(1)), new Random(2));
                store.complete(log, ReportFixtures.dataset(), ReportFixtures.permutation(new Random(3)));
            }
        }
        return state;
    }

    @Test
    void stateDir_printsTheTable(@TempDir Path dir) {
        Path state = stateWithReports(dir);
        assertEquals(0, run("--state-dir", state.toString()), err.toString());
        String table = out.toString();
        assertTrue(table.startsWith("coco / run1: D = 200 MB, cache 100 MB (c = 0.50), (1-c)*D = 100 MB\n"), table);
        assertTrue(table.contains("\nimagenet / run1: D = 200 MB"), table);
        assertTrue(table.contains("LRU S3 (hit)"), table);
        assertEquals("", err.toString());
    }

    @Test
    void stateDir_json_filtered_isTheSavedReport(@TempDir Path dir) {
        Path state = stateWithReports(dir);
        assertEquals(0, run("--json", "--state-dir", state.toString(), "--dataset", "coco"));
        assertEquals(ReportStore.readPersisted(state.resolve("reports"), "coco", null),
                Reports.fromJson(out.toString()));
        assertEquals(1, Reports.fromJson(out.toString()).size());
    }

    @Test
    void html_writesThePage(@TempDir Path dir) throws Exception {
        Path state = stateWithReports(dir);
        Path page = dir.resolve("page.html");
        assertEquals(0, run("--state-dir", state.toString(), "--html", page.toString()));
        assertTrue(Files.readString(page).contains("<svg class=\"timeline\""));
    }

    @Test
    void stateDirWithoutReports_saysSo(@TempDir Path dir) {
        assertEquals(0, run("--state-dir", dir.toString()));
        assertEquals("no epoch reports yet\n", out.toString());
    }

    @Test
    void missingStateDir_isOneLine(@TempDir Path dir) {
        assertEquals(1, run("--state-dir", dir.resolve("nope").toString()));
        assertEquals("prefetchd: state folder " + dir.resolve("nope") + " does not exist", err.toString().strip());
    }

    @Test
    void noDaemon_isOneLine_suggestingStateDir() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertEquals(1, run("--url", "http://127.0.0.1:" + port));
        String[] lines = err.toString().strip().split("\n");
        assertEquals(1, lines.length, err.toString());
        assertEquals("prefetchd: no prefetchd daemon answers at http://127.0.0.1:" + port + " (is it running? point "
                + "--url at its HTTP port, or read saved reports with --state-dir DIR)", lines[0]);
    }

    @Test
    void badUrl_isOneLine() {
        assertEquals(1, run("--url", "ftp://x"));
        assertTrue(err.toString().startsWith("prefetchd: bad --url 'ftp://x'"), err.toString());
    }

    @Test
    void urlAndStateDir_isAUsageError(@TempDir Path dir) {
        assertEquals(2, run("--url", "http://127.0.0.1:1", "--state-dir", dir.toString()));
        assertTrue(err.toString().contains("--url and --state-dir exclude each other"), err.toString());
    }
}

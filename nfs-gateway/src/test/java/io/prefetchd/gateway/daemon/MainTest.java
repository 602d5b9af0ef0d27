package io.prefetchd.gateway.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The command line's contract: help for every command, one line and a non-zero status for every failure. */
class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void help_listsTheCommands_andServeHelpListsEveryOption() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("serve") && out.toString().contains("demo"), out.toString());
        assertEquals(0, run("serve", "--help"));
        for (String option : new String[] {"--s3-endpoint", "--bucket", "--prefix", "--path-style", "--region",
                "--cache-dir", "--cache-size", "--state-dir", "--nfs-port", "--http-port", "--config", "--dataset",
                "--grpc-port", "--bind", "--nfs-bind", "--grpc-bind", "--http-bind", "--read-write", "--fleet-members",
                "--fleet-name", "--fleet-port"}) {
            assertTrue(out.toString().contains(option), option);
        }
    }

    @Test
    void serve_isReadOnlyUnlessReadWriteIsGiven() {
        Main.Serve serve = new Main.Serve();
        new picocli.CommandLine(serve).parseArgs("--bucket", "b");
        assertFalse(serve.properties().containsKey("prefetchd.write.enabled"));
        Main.Serve writing = new Main.Serve();
        new picocli.CommandLine(writing).parseArgs("--bucket", "b", "--read-write");
        assertEquals(true, writing.properties().get("prefetchd.write.enabled"));
    }

    @Test
    void serve_fleetOptions_becomeFleetSettings_andNoneMeansNoFleet() {
        Main.Serve serve = new Main.Serve();
        new picocli.CommandLine(serve).parseArgs("--bucket", "b");
        assertFalse(serve.properties().containsKey("prefetchd.fleet.members"));
        Main.Serve fleet = new Main.Serve();
        new picocli.CommandLine(fleet).parseArgs("--bucket", "b", "--fleet-members", "h1:5701,h2:5701",
                "--fleet-name", "train", "--fleet-port", "5801");
        assertEquals("h1:5701,h2:5701", fleet.properties().get("prefetchd.fleet.members"));
        assertEquals("train", fleet.properties().get("prefetchd.fleet.name"));
        assertEquals(5801, fleet.properties().get("prefetchd.fleet.port"));
    }

    @Test
    void datasetWithAnUnknownFormat_isUsageErrorNamingIt() {
        assertEquals(2, run("serve", "--dataset", "tfrecord:train"));
        assertTrue(err.toString().contains("'tfrecord:train' is not FORMAT:PATH"), err.toString());
    }

    @Test
    void wrongOption_isUsageError() {
        assertEquals(2, run("serve", "--no-such-option"));
        assertTrue(err.toString().contains("Unknown option: '--no-such-option'"), err.toString());
    }

    @Test
    void unreachableEndpoint_endsWithOneLine(@TempDir Path dir) throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("prefetchd.yml"), """
                prefetchd:
                  s3:
                    access-key: test
                    secret-key: test
                    max-attempts: 1
                """);
        int status = run("serve", "--s3-endpoint", "http://127.0.0.1:" + deadPort, "--bucket", "nothing-here",
                "--state-dir", dir.resolve("state").toString(), "--nfs-port", "0", "--http-port", "0",
                "--grpc-port", "0", "--config", config.toString());
        assertEquals(1, status);
        String[] lines = err.toString().strip().split("\n");
        assertEquals(1, lines.length, err.toString());
        assertTrue(lines[0].startsWith("prefetchd: cannot list s3://nothing-here/ at http://127.0.0.1:" + deadPort),
                lines[0]);
    }

    @Test
    void missingBucket_endsWithOneLine(@TempDir Path dir) {
        assertEquals(1, run("serve", "--state-dir", dir.toString(), "--nfs-port", "0", "--http-port", "0",
                "--grpc-port", "0"));
        assertEquals("prefetchd: no bucket configured: pass --bucket NAME (or PREFETCHD_S3_BUCKET)",
                err.toString().strip());
    }

    @Test
    void report_withNoDaemon_endsWithOneLine() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        assertEquals(1, run("report", "--url", "http://127.0.0.1:" + deadPort));
        String[] lines = err.toString().strip().split("\n");
        assertEquals(1, lines.length, err.toString());
        assertTrue(lines[0].startsWith("prefetchd: no prefetchd daemon answers at http://127.0.0.1:" + deadPort),
                lines[0]);
        assertTrue(lines[0].contains("--state-dir"), lines[0]);
    }
}

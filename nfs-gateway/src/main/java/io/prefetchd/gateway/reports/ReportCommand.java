package io.prefetchd.gateway.reports;

import io.prefetchd.gateway.fleet.FleetReport;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import static java.util.Objects.requireNonNull;

/**
 * {@code prefetchd report}: the epoch reports of a running daemon ({@code GET /api/reports}) or, with
 * {@code --state-dir}, the ones it saved, as a table, as JSON, or as the HTML page written to a file. A daemon in a
 * fleet also shows the fleet's figures per epoch ({@code GET /api/fleet/reports}) after its table; {@code --fleet}
 * shows only those. Exit status 0
 * with reports (or none yet), 1 with one line on stderr when they cannot be had, 2 for bad usage.
 */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show the per-epoch reports (hit ratio, waits on S3, S3 bytes against LRU, OPT and the "
                + "(1-c)*D bound) of a running daemon, or the reports saved under a state folder.")
public final class ReportCommand implements Callable<Integer> {
    /** The daemon's HTTP address when nothing else is said: the default {@code micronaut.server.port}. */
    public static final String DEFAULT_URL = "http://127.0.0.1:8049";
    /** The daemon's bearer token, when it has one (prefetchd.http.token). */
    static final String TOKEN_ENV = "PREFETCHD_HTTP_TOKEN";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print the reports as JSON (the /api/reports document).")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write the HTML page (as /reports) to FILE.")
    Path html;

    @Option(names = "--url", paramLabel = "URL",
            description = "HTTP address of a running daemon (default " + DEFAULT_URL + "). A daemon with a token "
                    + "needs PREFETCHD_HTTP_TOKEN in the environment.")
    String url;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Read the reports a daemon saved under DIR/reports instead (no daemon needed).")
    Path stateDir;

    @Option(names = "--dataset", paramLabel = "D", description = "Only this dataset: its path in the export (imagefolder/train) or its id.")
    String dataset;

    @Option(names = "--job", paramLabel = "J", description = "Only this job.")
    String job;

    @Option(names = "--fleet", description = "Only the fleet's figures: every member's completed epochs summed per "
            + "epoch, with each member's (with --json, the /api/fleet/reports document). Without it, a daemon in a "
            + "fleet shows them after its own reports.")
    boolean fleet;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (url != null && stateDir != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--url and --state-dir exclude each other: ask a daemon, or read a state folder");
        }
        if (fleet && stateDir != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--fleet asks a running daemon: a state folder holds only its own member's reports");
        }
        String base = url == null ? DEFAULT_URL : url;
        if (fleet) {
            try {
                FleetReport f = fleetOf(base);
                out.print(json ? f.toJson() : f.inFleet() ? f.table() : "this daemon is not in a fleet\n");
            } catch (Failure e) {
                err.println("prefetchd: " + e.getMessage());
                return 1;
            }
            out.flush();
            return 0;
        }
        List<EpochReport> reports;
        FleetReport fleetReport = FleetReport.none();
        try {
            reports = stateDir != null ? fromStateDir(stateDir) : fromDaemon(base);
        } catch (Failure f) {
            err.println("prefetchd: " + f.getMessage());
            return 1;
        }
        if (stateDir == null && !json) {
            try {
                fleetReport = fleetOf(base);
            } catch (Failure f) {   // the member's own reports are still worth showing
                err.println("prefetchd: without the fleet's figures: " + f.getMessage());
            }
        }
        if (html != null) {
            try {
                Files.writeString(html, Reports.html(reports), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("prefetchd: cannot write " + html + ": " + e.getMessage());
                return 1;
            }
        }
        out.print(json ? Reports.toJson(reports) : Reports.table(reports));
        if (fleetReport.inFleet()) {
            out.println();
            out.print(fleetReport.table());
        }
        out.flush();
        return 0;
    }

    /** A reason the reports cannot be had, as the one line the user sees. */
    private static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    private List<EpochReport> fromStateDir(Path state) throws Failure {
        Path dir = state.resolve("reports");
        if (!Files.isDirectory(state)) {
            throw new Failure("state folder " + state + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            return List.of(); // a daemon ran there but no epoch has ended yet
        }
        try {
            return ReportStore.readPersisted(dir, dataset, job);
        } catch (UncheckedIOException e) {
            throw new Failure("cannot read " + dir + ": "
                    + requireNonNull(e.getCause(), "an UncheckedIOException always has a cause").getMessage());
        }
    }

    private List<EpochReport> fromDaemon(String base) throws Failure {
        Response response = get(base, "/api/reports");
        if (response.status() != 200) {
            throw new Failure(response.uri() + " answered HTTP " + response.status()
                    + (response.status() == 404 ? " (is this a prefetchd daemon, and recent enough?)"
                    : response.status() == 401 ? " (set PREFETCHD_HTTP_TOKEN to the daemon's prefetchd.http.token)"
                    : ""));
        }
        try {
            return Reports.fromJson(response.body());
        } catch (IllegalArgumentException e) {
            throw new Failure(response.uri() + " did not return epoch reports: " + e.getMessage());
        }
    }

    /** The fleet's reports of a daemon; {@link FleetReport#none()} from a daemon outside a fleet, or too old. */
    private FleetReport fleetOf(String base) throws Failure {
        Response response = get(base, "/api/fleet/reports");
        if (response.status() == 404) {
            return FleetReport.none();
        }
        if (response.status() != 200) {
            throw new Failure(response.uri() + " answered HTTP " + response.status());
        }
        try {
            return FleetReport.fromJson(response.body());
        } catch (IllegalArgumentException e) {
            throw new Failure(response.uri() + " did not return the fleet's reports: " + e.getMessage());
        }
    }

    private record Response(URI uri, int status, String body) {
    }

    private Response get(String base, String path) throws Failure {
        URI uri;
        try {
            StringBuilder q = new StringBuilder();
            param(q, "dataset", dataset);
            param(q, "job", job);
            uri = URI.create(base.replaceAll("/+$", "") + path + q);
            if (uri.getScheme() == null || uri.getHost() == null
                    || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw new Failure("bad --url '" + base + "': expected something like " + DEFAULT_URL);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").GET();
        String token = System.getenv(TOKEN_ENV); // from the environment: a flag would show in ps
        if (token != null && !token.isBlank()) {
            request.header("Authorization", "Bearer " + token.strip());
        }
        try {
            HttpResponse<String> r = client.send(request.build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(uri, r.statusCode(), r.body());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new Failure("no prefetchd daemon answers at " + base + " (is it running? point --url at its "
                    + "HTTP port, or read saved reports with --state-dir DIR)");
        } catch (HttpTimeoutException e) {
            throw new Failure(uri + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw new Failure("cannot fetch " + uri + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted while fetching " + uri);
        }
    }

    private static void param(StringBuilder q, String name, String value) {
        if (value != null && !value.isEmpty()) {
            q.append(q.isEmpty() ? '?' : '&').append(name).append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }
}

package io.prefetchd.gateway.daemon;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code prefetchd uploads}: the written files a running daemon has not uploaded to S3 yet
 * ({@code GET /api/uploads}). Exit status 0 with the listing, 1 with one line on stderr when it cannot be had.
 */
@Command(name = "uploads", mixinStandardHelpOptions = true,
        description = "List the files written through the mount that S3 does not have yet (staged, uploading or "
                + "retrying), with their age and last error.")
public final class UploadsCommand implements Callable<Integer> {
    private static final String DEFAULT_URL = "http://127.0.0.1:8049";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL",
            description = "HTTP address of a running daemon (default " + DEFAULT_URL + "). A daemon with a token "
                    + "needs PREFETCHD_HTTP_TOKEN in the environment.")
    String url = DEFAULT_URL;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI uri;
        try {
            uri = URI.create(url.replaceAll("/+$", "") + "/api/uploads");
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            err.println("prefetchd: bad --url '" + url + "': expected something like " + DEFAULT_URL);
            return 1;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        String token = System.getenv("PREFETCHD_HTTP_TOKEN");
        if (token != null && !token.isBlank()) {
            request.header("Authorization", "Bearer " + token.strip());
        }
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()
                    .send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException | HttpConnectTimeoutException e) {
            err.println("prefetchd: no prefetchd daemon answers at " + url + " (is it running? point --url at its "
                    + "HTTP port)");
            return 1;
        } catch (IOException e) {
            err.println("prefetchd: cannot fetch " + uri + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        if (response.statusCode() != 200) {
            err.println("prefetchd: " + uri + " answered HTTP " + response.statusCode() + ": "
                    + response.body().strip());
            return 1;
        }
        out.print(response.body());
        out.flush();
        return 0;
    }
}

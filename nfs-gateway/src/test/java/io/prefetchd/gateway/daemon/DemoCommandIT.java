package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.embedded.DemoDataset;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's first command, as a newcomer runs it: {@code bin/prefetchd demo} (the jar built by this very
 * Maven run) prints a mount line that works, serves the demo dataset, answers /status, and stops on SIGTERM,
 * logging dated lines and a last line saying it stopped. With no {@code --bind}, every listener of a demo is on
 * loopback. Its S3 endpoint serves the same files with the keys it printed.
 */
class DemoCommandIT {

    @Test
    void demo_servesTheDemoDataset_andStopsOnSigterm(@TempDir Path state) throws Exception {
        Path launcher = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
                .resolve("bin/prefetchd");
        assertTrue(Files.isExecutable(launcher), launcher + " is the README's command");
        Process p = new ProcessBuilder(launcher.toString(), "demo", "--state-dir", state.toString(),
                "--nfs-port", "0", "--http-port", "-1", "--grpc-port", "0", "--s3-api-port", "0")
                .redirectError(state.resolve("stderr.log").toFile()).start();
        try {
            List<String> lines = new ArrayList<>();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
                if (line.startsWith("Press Ctrl-C")) {
                    break;
                }
            }
            String text = String.join("\n", lines);
            assertTrue(Pattern.compile("listening: NFS 127\\.0\\.0\\.1:\\d+, gRPC hints 127\\.0\\.0\\.1:\\d+, "
                    + "HTTP 127\\.0\\.0\\.1:\\d+").matcher(text).find(), "a demo listens on loopback only: " + text);
            Matcher mount = Pattern.compile("mount -t nfs4 -o vers=4\\.1,port=(\\d+) 127\\.0\\.0\\.1:/ /mnt/data")
                    .matcher(text);
            assertTrue(mount.find(), text);
            Matcher http = Pattern.compile("status: (http://127\\.0\\.0\\.1:\\d+/status)").matcher(text);
            assertTrue(http.find(), text);

            int port = Integer.parseInt(mount.group(1));
            try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", port)) {
                Nfs4Client.OpenFile readme = c.open("/" + DemoDataset.readmeKey());
                assertArrayEquals(new DemoDataset().content(DemoDataset.readmeKey()), c.readAll(readme, 1 << 20));
            }
            HttpResponse<String> status = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(http.group(1))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode());
            assertTrue(status.body().contains("export      s3://prefetchd-demo/"), status.body());
            assertTrue(status.body().contains(", bucket prefetchd-demo (read-write where the client's export rule is "
                    + "rw)"), status.body());
            // its two datasets are indexed in the background, then planned
            assertTrue(text.contains("; indexed: imagefolder/train, webdataset)"), text);
            URI statusUri = URI.create(http.group(1));
            Await.await(() -> statusText(statusUri).contains("planner     on, 2 datasets"),
                    "the demo's two datasets planned: " + statusUri);
            assertFalse(statusText(statusUri).contains("NOT PLANNED"), statusText(statusUri));

            // the demo's S3 endpoint, with the keys it printed; it takes writes, as the mount does
            Matcher s3 = Pattern.compile("s3: +(http://127\\.0\\.0\\.1:\\d+) +bucket (\\S+) \\(read-write where the "
                    + "client's export rule is rw\\) +access key (\\S+) +secret (\\S+)").matcher(text);
            assertTrue(s3.find(), text);
            try (software.amazon.awssdk.services.s3.S3Client c = software.amazon.awssdk.services.s3.S3Client.builder()
                    .endpointOverride(URI.create(s3.group(1))).forcePathStyle(true)
                    .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(s3.group(3),
                                    s3.group(4)))).build()) {
                assertArrayEquals(new DemoDataset().content(DemoDataset.readmeKey()), c.getObjectAsBytes(
                        b -> b.bucket(s3.group(2)).key(DemoDataset.readmeKey())).asByteArray());
                c.putObject(b -> b.bucket(s3.group(2)).key("notes/put.txt"),
                        software.amazon.awssdk.core.sync.RequestBody.fromString("put through the endpoint"));
                assertEquals("put through the endpoint", c.getObjectAsBytes(
                        b -> b.bucket(s3.group(2)).key("notes/put.txt")).asUtf8String());
            }

            p.destroy();   // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the daemon stops on SIGTERM");
            String log = Files.readString(state.resolve("stderr.log"));
            assertTrue(Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[[^]]+] \\S+ - "
                    + "serving s3://prefetchd-demo/").matcher(log).find(), "dated log lines:\n" + log);
            assertTrue(Pattern.compile("(?m)^\\S+ INFO  \\[prefetchd-shutdown] \\S+ - prefetchd \\S+ stopped after \\d+ s$")
                    .matcher(log).find(), "a last line at shutdown:\n" + log);
        } finally {
            p.destroyForcibly();
        }
    }

    private static String statusText(URI uri) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }
}

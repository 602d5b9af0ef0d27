package io.prefetchd.gateway.linux;

import static io.prefetchd.gateway.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.fs.staging.StagingStatus;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.FaultProxy;
import io.prefetchd.gateway.testing.GuestHandshake;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.gateway.testing.VmTestSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint saved through the kernel client while S3 refuses connections (a fault-injecting proxy in front of
 * S3Proxy): the save succeeds (fsync, rename into place), the bytes read back from the gateway, and the files are
 * listed as pending uploads with S3's error; the gateway restarted during the outage stops and starts without
 * losing them, and once S3 answers again they go up within seconds as objects with the bytes written.
 */
class UploadOutageLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final String BUCKET = "upload-outage";
    /** How many failed attempts of the restarted gateway to wait for: a doubled backoff would then wait 16 s. */
    private static final int FAILED_ATTEMPTS = 5;

    @Test
    void checkpointSavedWhileS3Refuses_isKeptThroughARestart_andUploadedSoonAfterS3Returns(@TempDir Path tmp)
            throws Exception {
        VmTestSupport.requireVm(VM);
        Path work = VmTestSupport.workFolder("upload-outage-it-");
        try (S3ProxyFixture s3 = S3ProxyFixture.start();
             FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort())) {
            s3.createBucket(BUCKET);
            s3.put(BUCKET, "ckpt/README", "checkpoints of the run\n".getBytes());
            Map<String, Object> p = s3.daemonProperties(BUCKET, tmp.resolve("state"));
            p.put("prefetchd.s3.endpoint", "http://127.0.0.1:" + proxy.port());
            p.put("prefetchd.write.enabled", true);
            p.put("prefetchd.access.exports", "127.0.0.1 rw no-squash");
            Path script = GuestScripts.writeScript("upload_outage.py", work);

            JsonNode written;
            ApplicationContext daemon = Daemon.start(p);
            try {
                int port = daemon.getBean(Gateway.class).nfsPort();
                CompletableFuture<VmNfsClient.Result> guest = CompletableFuture.supplyAsync(() -> VM.run(
                        VmNfsClient.Options.mount(port).vers("4.1").share(work).timeout(Duration.ofMinutes(6)),
                        GuestScripts.GUEST_PYTHON, script.toString(), work.toString()));
                GuestHandshake g = new GuestHandshake(work, guest, Duration.ofMinutes(4));
                g.await("listed");
                proxy.mode(FaultProxy.Mode.REFUSE);
                g.say("refusing");
                written = g.await("written");
                VmNfsClient.Result r = guest.get(2, TimeUnit.MINUTES);
                System.out.println(r.stdout());
                r.assertSuccess();
                System.out.printf("checkpoint saved through the mount in %.1f s while S3 refused%n",
                        written.get("seconds").asDouble());
                assertEquals("[\"README\",\"step-100.pt\",\"train.log\"]", written.get("names").toString(),
                        "the temporary name was renamed away");

                String uploads = get(daemon, "/api/uploads");
                System.out.print(uploads);
                assertTrue(uploads.contains("/ckpt/step-100.pt") && uploads.contains("/ckpt/train.log")
                        && uploads.contains("last upload error"), uploads);
                assertNull(s3.get(BUCKET, "ckpt/step-100.pt"), "S3 does not have it yet");
            } finally {
                long stopping = System.nanoTime();
                daemon.close();
                System.out.printf("gateway stopped in %.1f s during the outage%n", seconds(stopping));
            }

            daemon = Daemon.start(p);
            try {
                Gateway restarted = daemon.getBean(Gateway.class);
                StagingStatus staged = restarted.writes().orElseThrow().status();
                assertEquals(2, staged.pending().size(), "both files are staged after the restart: " + staged);
                await(() -> restarted.writes().orElseThrow().status().pending().stream()
                        .allMatch(f -> f.failures() >= FAILED_ATTEMPTS), "failed attempts while S3 refuses");

                proxy.mode(FaultProxy.Mode.PASS);
                long back = System.nanoTime();
                await(() -> restarted.writes().orElseThrow().status().pending().isEmpty(), "uploads after S3 returned");
                double resumed = seconds(back);
                System.out.printf("uploads done %.1f s after S3 answered again%n", resumed);

                for (Iterator<Map.Entry<String, JsonNode>> it = written.get("md5s").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    byte[] bytes = s3.get(BUCKET, e.getKey());
                    assertTrue(bytes != null, e.getKey() + " is in S3");
                    assertEquals(e.getValue().asText(),
                            HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes)), e.getKey());
                }
                assertNull(s3.get(BUCKET, "ckpt/step-100.pt.tmp"), "the temporary name never reaches S3");
                // an attempt while S3 is unreachable sends nothing, so it is retried at the shortest wait; a doubled
                // backoff would have the files wait 16 s more after this many failures
                assertTrue(resumed < 10, "uploads resume within seconds of S3's return: " + resumed + " s");
            } finally {
                daemon.close();
            }
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private static String get(ApplicationContext daemon, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + Daemon.httpPort(daemon) + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}

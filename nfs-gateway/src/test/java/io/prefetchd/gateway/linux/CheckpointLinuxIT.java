package io.prefetchd.gateway.linux;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.CountingBlobStore;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.gateway.testing.VmTestSupport;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checkpoints written through the mount by the real Linux kernel client become ordinary objects in S3:
 * <ul>
 *   <li>a {@value #CHECKPOINT_MIB} MiB state dict saved with {@code torch.save} to a temporary file and
 *       {@code os.replace}d into place (NFSv4.1), and a checkpoint folder written then renamed into place, load in a
 *       second guest (NFSv4.0) with equal tensors, and the object S3 holds has the bytes the writer read back;</li>
 *   <li>a file whose {@code fsync} returned, closed but not yet uploaded, survives {@code kill -9} of the gateway:
 *       after a restart the upload completes, and S3 holds exactly the acknowledged bytes;</li>
 *   <li>a file twice as large as the daemon's heap is uploaded and enters the read cache, the daemon keeps
 *       running, and the file is read back without a download.</li>
 * </ul>
 */
class CheckpointLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final String BUCKET = "checkpoints";
    private static final int CHECKPOINT_MIB = 256;
    private static final Pattern MD5 = Pattern.compile("(?m)^MD5 ([0-9a-f]{32})$");
    private static final Duration UPLOAD_DEADLINE = Duration.ofMinutes(3);
    /** The heap of the daemon whose checkpoint is twice as large. */
    private static final int DAEMON_HEAP_MIB = 192;

    @Test
    void torchCheckpoint_savedAndRenamedThroughTheMount_loadsInAnotherGuest_andIsTheObjectInS3(@TempDir Path tmp)
            throws Exception {
        requireVm();
        Path work = VmTestSupport.workFolder("checkpoint-it-");
        // objects on disk: a checkpoint held in this JVM's heap next to the gateway would crowd the gateway out
        Files.createDirectories(tmp.resolve("s3"));
        CountingBlobStore counting = new CountingBlobStore(new FilesystemNio2BlobStore(tmp.resolve("s3").toString()));
        try (S3ProxyFixture s3 = S3ProxyFixture.start(counting)) {
            s3.createBucket(BUCKET);
            Path script = GuestScripts.writeScript("checkpoint.py", work);
            Map<String, Object> p = s3.daemonProperties(BUCKET, tmp.resolve("state"));
            p.put("prefetchd.write.enabled", true);
            try (ApplicationContext ctx = Daemon.start(p)) {
                int port = ctx.getBean(Gateway.class).nfsPort();
                VmNfsClient.Result saved = VM.run(VmNfsClient.Options.mount(port).vers("4.1")
                                .timeout(Duration.ofMinutes(6)),
                        GuestScripts.GUEST_PYTHON, script.toString(), "save", "/mnt/nfs/run", "" + CHECKPOINT_MIB);
                saved.assertSuccess();
                String written = md5(saved.stdout());

                S3AsyncClient client = s3.adminClient();
                awaitKeys(client, "run/", List.of("run/model.pt", "run/step-10/meta.json", "run/step-10/state.pt"));
                assertEquals(written, md5OfObject(client, "run/model.pt"),
                        "S3 holds the bytes the writer read back through the mount");
                // model.pt's parts went up under its temporary name while torch.save wrote it; after os.replace that
                // upload was completed there and copied, not sent again
                long checkpointBytes = (long) CHECKPOINT_MIB << 20;
                assertTrue(counting.received() < checkpointBytes * 5 / 4, "S3 received " + counting.received()
                        + " bytes for a checkpoint of " + checkpointBytes + ": each byte once, not again after the "
                        + "rename");
                assertTrue(ctx.getBean(PrometheusMeterRegistry.class).get("prefetchd.upload.moved").counter()
                        .count() >= 1, "the streamed upload followed the rename");
                // the kernel client's WRITEs are whole aligned blocks: they went to the staged file around the page
                // cache (the temporary folder of the machines this runs on takes O_DIRECT)
                PrometheusMeterRegistry registry = ctx.getBean(PrometheusMeterRegistry.class);
                double direct = registry.get("prefetchd.staging.written").tag("path", "direct").functionCounter()
                        .count();
                double cached = registry.get("prefetchd.staging.written").tag("path", "page_cache").functionCounter()
                        .count();
                assertTrue(direct >= 0.95 * (direct + cached) && direct >= checkpointBytes * 0.95,
                        "staged around the page cache: " + direct + " bytes, through it: " + cached);
                long downloadedBefore = counting.bytes();

                VmNfsClient.Result loaded = VM.run(VmNfsClient.Options.mount(port).vers("4.0")
                                .timeout(Duration.ofMinutes(6)),
                        GuestScripts.GUEST_PYTHON, script.toString(), "load", "/mnt/nfs/run", "" + CHECKPOINT_MIB);
                loaded.assertSuccess();
                assertEquals(written, md5(loaded.stdout()), "the second guest reads the same bytes");
                assertEquals(0, counting.bytes() - downloadedBefore,
                        "what was written, renamed file and renamed folder alike, is read back from the cache");
            }
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    @Test
    void fsyncedFile_survivesKillNineBeforeItsUpload_andIsUploadedAfterRestart(@TempDir Path tmp)
            throws Exception {
        requireVm();
        Path launcher = launcher();
        Path work = VmTestSupport.workFolder("killnine-it-");
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket(BUCKET);
            byte[] content = new byte[24 * 1024 * 1024 + 12345];
            new Random(9).nextBytes(content);
            Files.write(work.resolve("src.bin"), content);
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
            Path script = GuestScripts.writeScript("checkpoint.py", work);
            Path state = tmp.resolve("state");

            // the first gateway holds closed files for 10 minutes before uploading them: killed long before that
            Process first = serve(launcher, s3.endpoint().toString(), state, tmp.resolve("first.log"),
                    Map.of("PREFETCHD_WRITE_UPLOAD_DELAY", "10m"));
            try {
                int port = nfsPort(first);
                VmNfsClient.Result copied = VM.run(VmNfsClient.Options.mount(port).vers("4.1")
                                .timeout(Duration.ofMinutes(3)),
                        GuestScripts.GUEST_PYTHON, script.toString(), "copy", work.resolve("src.bin").toString(),
                        "/mnt/nfs/out/blob.bin");
                copied.assertSuccess();
                assertTrue(copied.stdout().contains("FSYNCED"), copied.stdout());
            } finally {
                first.destroyForcibly();   // SIGKILL: no shutdown hook runs
                assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            }
            S3AsyncClient client = s3.adminClient();
            assertTrue(keys(client, "out/").isEmpty(), "nothing reached S3 before the kill");
            Process second = serve(launcher, s3.endpoint().toString(), state, tmp.resolve("second.log"), Map.of());
            try {
                nfsPort(second);
                awaitKeys(client, "out/", List.of("out/blob.bin"));
                assertEquals(expected, md5OfObject(client, "out/blob.bin"),
                        "S3 holds exactly the bytes fsync acknowledged before the kill");
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    @Test
    void aCheckpointTwiceTheDaemonsHeap_isUploaded_andReadBackWithoutADownload_byAGatewayThatKeepsRunning(
            @TempDir Path tmp) throws Exception {
        requireVm();
        Path launcher = launcher();
        Path work = VmTestSupport.workFolder("heap-it-");
        Files.createDirectories(tmp.resolve("s3"));
        CountingBlobStore counting = new CountingBlobStore(new FilesystemNio2BlobStore(tmp.resolve("s3").toString()));
        try (S3ProxyFixture s3 = S3ProxyFixture.start(counting)) {
            s3.createBucket(BUCKET);
            String expected = writeRandom(work.resolve("src.bin"), 2L * DAEMON_HEAP_MIB << 20);
            Path script = GuestScripts.writeScript("checkpoint.py", work);
            // the file enters the read cache after its upload (the default cache takes files up to 2.5 GiB): a
            // daemon that held the whole file on its heap meanwhile ran out of it and exited
            Process gateway = serve(launcher, s3.endpoint().toString(), tmp.resolve("state"),
                    tmp.resolve("gateway.log"), Map.of("PREFETCHD_JAVA_OPTS", "-Xmx" + DAEMON_HEAP_MIB + "m"));
            try {
                int port = nfsPort(gateway);
                VM.run(VmNfsClient.Options.mount(port).vers("4.1").timeout(Duration.ofMinutes(4)),
                        GuestScripts.GUEST_PYTHON, script.toString(), "copy", work.resolve("src.bin").toString(),
                        "/mnt/nfs/out/big.bin").assertSuccess();
                S3AsyncClient client = s3.adminClient();
                awaitKeys(client, "out/", List.of("out/big.bin"));
                assertEquals(expected, md5OfObject(client, "out/big.bin"));
                long downloadedBefore = counting.bytes();

                VmNfsClient.Result read = VM.run(VmNfsClient.Options.mount(port).vers("4.1")
                        .timeout(Duration.ofMinutes(4)), "md5sum", "/mnt/nfs/out/big.bin");
                Path log = tmp.resolve("gateway.log");
                assertTrue(gateway.isAlive(), () -> "the gateway exited: " + readQuietly(log));
                read.assertSuccess();
                assertTrue(read.stdout().contains(expected), "read back through the mount: " + read.stdout());
                assertEquals(0, counting.bytes() - downloadedBefore,
                        "read back from local disk (the read cache, or staging while the file enters it), not S3");
            } finally {
                gateway.destroy();
                gateway.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(" + file + " unreadable: " + e + ")";
        }
    }

    private static Path launcher() {
        Path launcher = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
                .resolve("bin/prefetchd");
        assertTrue(Files.isExecutable(launcher), launcher + " is built by this Maven run");
        return launcher;
    }

    /** Writes {@code bytes} of seeded random data to {@code file} a MiB at a time; returns their md5. */
    private static String writeRandom(Path file, long bytes) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        Random random = new Random(11);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                md5.update(chunk, 0, n);
            }
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static void requireVm() {
        VmTestSupport.requireVm(VM);
    }

    private static Process serve(Path launcher, String endpoint, Path state, Path log, Map<String, String> env)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "serve", "--read-write",
                "--s3-endpoint", endpoint, "--bucket", BUCKET, "--path-style", "--region", S3ProxyFixture.REGION,
                "--state-dir", state.toString(), "--nfs-port", "0", "--http-port", "-1", "--grpc-port", "0",
                "--bind", "127.0.0.1")
                .redirectError(log.toFile());
        pb.environment().put("PREFETCHD_S3_ACCESS_KEY", S3ProxyFixture.ACCESS_KEY);
        pb.environment().put("PREFETCHD_S3_SECRET_KEY", S3ProxyFixture.SECRET_KEY);
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Reads the daemon's standard output up to its mount line and returns the NFS port it names. */
    private static int nfsPort(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        Pattern mount = Pattern.compile("mount -t nfs4 .*port=(\\d+)");
        for (String line; (line = out.readLine()) != null; ) {
            lines.add(line);
            Matcher m = mount.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return fail("the daemon printed no mount line: " + lines);
    }

    private static String md5(String stdout) {
        Matcher m = MD5.matcher(stdout);
        assertTrue(m.find(), "the guest printed an MD5: " + stdout);
        return m.group(1);
    }

    /** The object keys under {@code prefix}, folder markers (keys ending in '/') left out. */
    private static List<String> keys(S3AsyncClient client, String prefix) {
        return client.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).join().contents().stream()
                .map(S3Object::key).filter(k -> !k.endsWith("/")).sorted().toList();
    }

    /** Waits (bounded) until exactly {@code expected} are the keys under {@code prefix}: the uploads are done. */
    private static void awaitKeys(S3AsyncClient client, String prefix, List<String> expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + UPLOAD_DEADLINE.toNanos();
        List<String> got = keys(client, prefix);
        while (!got.equals(expected)) {
            if (System.nanoTime() > deadline) {
                fail("S3 holds " + got + " under " + prefix + " after " + UPLOAD_DEADLINE + ", expected " + expected);
            }
            Thread.sleep(100); // polling a condition with a deadline, not timing a result
            got = keys(client, prefix);
        }
    }

    /** The object's md5, streamed: a checkpoint does not fit in the test JVM's heap next to the gateway. */
    private static String md5OfObject(S3AsyncClient client, String key) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        try (InputStream in = client.getObject(b -> b.bucket(BUCKET).key(key),
                AsyncResponseTransformer.toBlockingInputStream()).join()) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) >= 0; ) {
                md5.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md5.digest());
    }
}

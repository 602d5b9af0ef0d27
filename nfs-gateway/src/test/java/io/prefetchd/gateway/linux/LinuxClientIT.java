package io.prefetchd.gateway.linux;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.RandomReadsVerifier;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The judge: the real Linux kernel NFS client (in a QEMU guest, see shared/tools/vm-nfs-client) mounts the
 * daemon, started as in production (Micronaut, HTTP metrics), over a bucket of 1,200+ files in nested folders and
 * one of 100 MiB. Each test is one VM run, so the runs are few and each checks a lot.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LinuxClientIT {
    private static final String BUCKET = "linux-it";
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final TestBucket DATA = new TestBucket();
    @TempDir
    static Path work;
    private static S3ProxyFixture s3;
    private static ApplicationContext daemon;
    private static int nfsPort;

    @BeforeAll
    static void start() throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        s3 = S3ProxyFixture.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket(BUCKET);
        DATA.upload(s3, BUCKET);
        daemon = startDaemon(0);
        nfsPort = daemon.getBean(Gateway.class).nfsPort();
    }

    private static ApplicationContext startDaemon(int port) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("micronaut.server.port", -1);
        p.put("prefetchd.state-dir", work.resolve("state").toString());
        p.put("prefetchd.cache.size", "512MiB");
        p.put("prefetchd.bind", "127.0.0.1");
        p.put("prefetchd.nfs.port", port);
        p.put("prefetchd.grpc.port", 0);
        p.put("prefetchd.s3.endpoint", s3.endpoint().toString());
        p.put("prefetchd.s3.bucket", BUCKET);
        p.put("prefetchd.s3.path-style", true);
        p.put("prefetchd.s3.access-key", S3ProxyFixture.ACCESS_KEY);
        p.put("prefetchd.s3.secret-key", S3ProxyFixture.SECRET_KEY);
        return Daemon.start(p);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static VmNfsClient.Options vm(String vers, Path share) {
        return VmNfsClient.Options.mount(nfsPort).vers(vers).share(share).timeout(Duration.ofMinutes(6));
    }

    private static Path shareDir(String name) throws IOException {
        return Files.createDirectories(work.resolve(name)).toAbsolutePath();
    }

    @Test
    @Order(1)
    void v41_listingMatchesTheBucket_everyMd5MatchesTheSource_and200RandomReadsMatch() throws Exception {
        Path out = shareDir("v41");
        Path script = GuestScripts.writeRandomReads(out);
        List<String> files = new ArrayList<>(DATA.smallKeys().subList(0, 40));
        files.add(TestBucket.HUGE);
        files.add("odd size.dat");
        List<String> reads = GuestScripts.randomReadsCommand(script, "/mnt/nfs", 7, 200, files);
        String cmd = "set -e; cd /mnt/nfs; grep ' /mnt/nfs ' /proc/mounts > " + out + "/mounts.txt; "
                + "ls -lR . > " + out + "/ls.txt; "
                + "find . -type f -print0 | xargs -0 md5sum > " + out + "/md5.txt; "
                + String.join(" ", reads.stream().map(LinuxClientIT::quote).toList()) + " > " + out + "/reads.txt";
        VM.run(vm("4.1", out), "sh", "-c", cmd).assertSuccess();

        assertTrue(Files.readString(out.resolve("mounts.txt")).contains("vers=4.1"));
        assertEquals(DATA.sizes, parseLsR(Files.readString(out.resolve("ls.txt"))), "ls -lR vs the bucket");
        Map<String, String> md5 = parseMd5(Files.readString(out.resolve("md5.txt")));
        assertEquals(DATA.sizes.keySet(), md5.keySet());
        for (String key : DATA.sizes.keySet()) {
            assertEquals(DATA.md5(key), md5.get(key), key);
        }
        RandomReadsVerifier.verify(Files.readString(out.resolve("reads.txt")), DATA::content, 200).assertOk();
    }

    @Test
    @Order(2)
    void v40_mountReadsTheSameBytes() throws Exception {
        Path out = shareDir("v40");
        String cmd = "set -e; grep ' /mnt/nfs ' /proc/mounts > " + out + "/mounts.txt; cd /mnt/nfs; "
                + "md5sum big/huge.bin 'odd size.dat' tree/l1-3/l2-4/* > " + out + "/md5.txt";
        VM.run(vm("4.0", out), "sh", "-c", cmd).assertSuccess();
        assertTrue(Files.readString(out.resolve("mounts.txt")).contains("vers=4.0"));
        Map<String, String> md5 = parseMd5(Files.readString(out.resolve("md5.txt")));
        assertEquals(62, md5.size());
        md5.forEach((key, sum) -> assertEquals(DATA.md5(key), sum, key));
    }

    @Test
    @Order(3)
    void defaultMount_negotiatesDownTo41() throws Exception {
        Path out = shareDir("negotiated");
        String cmd = "set -e; grep ' /mnt/nfs ' /proc/mounts > " + out + "/mounts.txt; "
                + "cd /mnt/nfs; md5sum 'odd size.dat' > " + out + "/md5.txt";
        VM.run(vm(null, out), "sh", "-c", cmd).assertSuccess();
        assertTrue(Files.readString(out.resolve("mounts.txt")).contains("vers=4.1"),
                Files.readString(out.resolve("mounts.txt")));
        assertEquals(DATA.md5("odd size.dat"), parseMd5(Files.readString(out.resolve("md5.txt"))).get("odd size.dat"));
    }

    @Test
    @Order(4)
    void gatewayRestartUnderALiveMount_keepsHandles_andServesCachedRangesWithoutAGet() throws Exception {
        Path out = shareDir("restart");
        String cmd = "set -e; cd /mnt/nfs; md5sum big/huge.bin > " + out + "/before.txt; touch " + out + "/phase1; "
                + "while [ ! -f " + out + "/restarted ]; do sleep 0.2; done; "
                + "echo 3 > /proc/sys/vm/drop_caches; md5sum big/huge.bin > " + out + "/after.txt";
        CompletableFuture<VmNfsClient.Result> run = CompletableFuture.supplyAsync(
                () -> VM.run(vm("4.1", out), "sh", "-c", cmd));
        awaitFile(out.resolve("phase1"), run);
        daemon.close();
        daemon = startDaemon(nfsPort);
        Files.writeString(out.resolve("restarted"), "");
        run.get().assertSuccess();

        String expected = DATA.md5(TestBucket.HUGE);
        assertEquals(expected, parseMd5(Files.readString(out.resolve("before.txt"))).get(TestBucket.HUGE));
        assertEquals(expected, parseMd5(Files.readString(out.resolve("after.txt"))).get(TestBucket.HUGE),
                "the same handle reads the same bytes after the restart");
        String metrics = scrape();
        assertTrue(metric(metrics, "prefetchd_nfs_ops_total", "op=\"READ\",status=\"NFS4_OK\"") > 0,
                "the second read went to the server:\n" + metrics);
        assertEquals(0.0, metric(metrics, "prefetchd_s3_requests_total", "op=\"get\""),
                "no GET for ranges cached before the restart");
    }

    private static void awaitFile(Path marker, CompletableFuture<?> run) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        while (!Files.exists(marker)) {
            if (run.isDone()) {
                fail("the guest ended before reaching " + marker.getFileName() + ": " + run.get());
            }
            if (Instant.now().isAfter(deadline)) {
                fail("the guest did not reach " + marker.getFileName());
            }
            Thread.onSpinWait();
            Thread.sleep(50);   // polling a file the guest writes; the VM is another process
        }
    }

    private static String scrape() throws Exception {
        int port = Daemon.httpPort(daemon);
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** Sum of the samples of {@code name} whose labels contain {@code labels}. */
    static double metric(String exposition, String name, String labels) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labels)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** "md5  ./path" lines to path → md5. */
    static Map<String, String> parseMd5(String text) {
        Map<String, String> m = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String sum = line.substring(0, 32);
            String path = line.substring(34);
            m.put(path.startsWith("./") ? path.substring(2) : path, sum);
        }
        return m;
    }

    private static final Pattern LS_FILE = Pattern.compile("^-\\S+\\s+\\d+\\s+\\S+\\s+\\S+\\s+(\\d+)\\s+\\S+\\s+\\S+\\s+\\S+\\s(.+)$");

    /** `ls -lR .` output to relative path → size, regular files only. */
    static Map<String, Integer> parseLsR(String text) {
        Map<String, Integer> files = new java.util.TreeMap<>();
        String dir = "";
        for (String line : text.split("\n")) {
            if (line.endsWith(":") && line.startsWith(".")) {
                dir = line.equals(".:") ? "" : line.substring(2, line.length() - 1) + "/";
                continue;
            }
            Matcher m = LS_FILE.matcher(line);
            if (m.matches()) {
                files.put(dir + m.group(2), Integer.parseInt(m.group(1)));
            }
        }
        return files;
    }
}

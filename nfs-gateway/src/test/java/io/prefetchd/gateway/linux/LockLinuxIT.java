package io.prefetchd.gateway.linux;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.NFS4_UINT64_MAX;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.READ_LT;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.WRITE_LT;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Byte-range locks through the real Linux kernel client (a QEMU guest, shared/tools/vm-nfs-client), with the
 * project's own NFS client on the host as a second machine. One guest run per NFS version runs
 * {@code guest/locks.py}: POSIX locks from two guest processes (fcntl.lockf, flock, F_GETLK), locks seen across
 * the two clients both ways (the host's LOCKT denied by the guest's lock; the guest's F_GETLK answered by the
 * server with the host's lock), h5py opening an HDF5 file with HDF5's default file locking, and SQLite reading a
 * database (it takes fcntl read locks).
 *
 * <p>The export is read-only, so every open is for reading and every lock a client can take is a read lock:
 * Linux refuses an exclusive lockf or flock on a read-only descriptor itself (EBADF). What conflicts is a write
 * lock asked for by LOCKT, as Linux's F_GETLK does.
 */
class LockLinuxIT {
    private static final String BUCKET = "lock-it";
    private static final String DATA = "locks/data.bin";
    private static final String H5 = "locks/train.h5";
    private static final int H5_LEN = 1000;
    private static final String DB = "locks/rows.sqlite";
    private static final int DB_ROWS = 250;
    private static final VmNfsClient VM = VmNfsClient.locate();
    @TempDir
    static Path work;
    private static S3ProxyFixture s3;
    private static ApplicationContext daemon;
    private static int nfsPort;
    private static Path script;

    @BeforeAll
    static void start() throws Exception {
        if (System.getenv("CI") != null) {
            assertTrue(VM.isAvailable(), "CI must run the Linux client tests: " + VM.unavailableReason());
            assertTrue(h5pyAvailable(), "CI must run the h5py check: install python3-h5py (.ci/run does)");
        }
        assumeTrue(VM.isAvailable(), VM.unavailableReason());
        assumeTrue(h5pyAvailable(), "python3-h5py is not installed");
        s3 = S3ProxyFixture.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket(BUCKET);
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        s3.put(BUCKET, DATA, data);
        s3.put(BUCKET, H5, hdf5File(work.resolve("train.h5")));
        s3.put(BUCKET, DB, sqliteFile(work.resolve("rows.sqlite")));
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("micronaut.server.port", -1);
        p.put("micronaut.server.host", "127.0.0.1");
        p.put("prefetchd.state-dir", work.resolve("state").toString());
        p.put("prefetchd.cache.size", "64MiB");
        p.put("prefetchd.nfs.bind", "127.0.0.1");
        p.put("prefetchd.nfs.port", 0);
        p.put("prefetchd.grpc.port", 0);
        p.put("prefetchd.s3.endpoint", s3.endpoint().toString());
        p.put("prefetchd.s3.bucket", BUCKET);
        p.put("prefetchd.s3.path-style", true);
        p.put("prefetchd.s3.access-key", S3ProxyFixture.ACCESS_KEY);
        p.put("prefetchd.s3.secret-key", S3ProxyFixture.SECRET_KEY);
        daemon = Daemon.start(p);
        nfsPort = daemon.getBean(Gateway.class).nfsPort();
        script = GuestScripts.writeScript("locks.py", work.resolve("scripts"));
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

    private static boolean h5pyAvailable() {
        try {
            Process p = new ProcessBuilder(GuestScripts.GUEST_PYTHON, "-c", "import h5py").redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A SQLite database written by Python on the host: table t with DB_ROWS rows. */
    private static byte[] sqliteFile(Path path) throws Exception {
        python("import sys, sqlite3; c = sqlite3.connect(sys.argv[1]); c.execute('create table t (i integer)'); "
                + "c.executemany('insert into t values (?)', [(i,) for i in range(" + DB_ROWS + ")]); c.commit(); "
                + "c.close()", path);
        return Files.readAllBytes(path);
    }

    private static void python(String code, Path arg) throws Exception {
        Process p = new ProcessBuilder(GuestScripts.GUEST_PYTHON, "-c", code, arg.toString()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, "python failed: " + out);
    }

    /** An HDF5 file written by h5py on the host: dataset "x" = 0, 1, ..., H5_LEN - 1 (int64). */
    private static byte[] hdf5File(Path path) throws Exception {
        python("import sys, h5py, numpy; f = h5py.File(sys.argv[1], 'w'); f['x'] = numpy.arange(" + H5_LEN
                + ", dtype='int64'); f.close()", path);
        return Files.readAllBytes(path);
    }

    @Test
    void v41_locksFromTwoProcessesAndTwoClients_andH5pyWithDefaultFileLocking() throws Exception {
        scenario("4.1");
    }

    @Test
    void v40_locksFromTwoProcessesAndTwoClients_andH5pyWithDefaultFileLocking() throws Exception {
        scenario("4.0");
    }

    private void scenario(String vers) throws Exception {
        Path sync = Files.createDirectories(work.resolve("sync-" + vers)).toAbsolutePath();
        double lockOk = metric(scrape(), "prefetchd_nfs_ops_total", "op=\"LOCK\",status=\"NFS4_OK\"");
        VmNfsClient.Options options = VmNfsClient.Options.mount(nfsPort).vers(vers).share(sync)
                .timeout(Duration.ofMinutes(8));
        CompletableFuture<VmNfsClient.Result> run = CompletableFuture.supplyAsync(() -> VM.run(options,
                GuestScripts.GUEST_PYTHON, script.toString(), "--file", "/mnt/nfs/" + DATA, "--h5", "/mnt/nfs/" + H5,
                "--db", "/mnt/nfs/" + DB, "--sync", sync.toString()));

        awaitFile(sync.resolve("guest-locked"), run);
        try {
            hostSide(sync, run);
        } catch (AssertionError | RuntimeException e) {
            for (String m : List.of("host-locked", "host-unlocked", "host-done", "host-saw-h5")) {
                mark(sync, m);   // let the guest finish, and show what it saw
            }
            throw new AssertionError(e.getMessage() + "\nserver lock operations:\n" + lockOps(scrape())
                    + "\nguest: " + run.get().describe(), e);
        }
        VmNfsClient.Result r = run.get().assertSuccess();
        Map<String, String> out = parse(r.stdout());
        assertEquals("ok", out.get("lockf_sh"), "a read lock on a read-only open: " + out);
        assertEquals("ok", out.get("child_lockf_sh"), "read locks of two processes share: " + out);
        assertEquals("EBADF", out.get("child_lockf_ex"), "Linux refuses a write lock on a read-only fd: " + out);
        assertEquals("read 0 100", out.get("child_getlk_local"), out.toString());
        assertEquals("ok", out.get("flock_sh"), out.toString());
        assertEquals("EBADF", out.get("flock_ex"), out.toString());
        assertEquals("read 200 100", out.get("getlk_host_locked"), "the server reports the host's lock: " + out);
        assertEquals("none", out.get("getlk_host_unlocked"), out.toString());
        assertEquals(Integer.toString(H5_LEN), out.get("h5_len"), out.toString());
        assertEquals(Long.toString((long) H5_LEN * (H5_LEN - 1) / 2), out.get("h5_sum"), out.toString());
        assertEquals(Integer.toString(DB_ROWS), out.get("sqlite_rows"), out.toString());

        String metrics = scrape();
        assertTrue(metric(metrics, "prefetchd_nfs_ops_total", "op=\"LOCK\",status=\"NFS4_OK\"") >= lockOk + 3,
                "lockf, flock and h5py's flock reached the server:\n" + metrics);
        assertEquals(0.0, gauge(metrics, "prefetchd_nfs_locks_held"), "every lock was released");
    }

    /** The host's part: a second NFS client that meets the guest's locks, and the guest meets its lock. */
    private static void hostSide(Path sync, CompletableFuture<VmNfsClient.Result> run) throws Exception {
        try (Nfs4Client host = Nfs4Client.connect("127.0.0.1", nfsPort)) {
            byte[] fh = host.lookup(DATA);
            byte[] hostOwner = "host lock-owner".getBytes(StandardCharsets.UTF_8);
            CompoundReply denied = host.call(b -> b.putfh(fh).lockt(WRITE_LT, 0, NFS4_UINT64_MAX, 0, hostOwner));
            assertEquals(NfsStatus.NFS4ERR_DENIED, denied.status(), "the guest's read lock stands in the way");
            CompoundReply.LockDenied d = denied.last().as(CompoundReply.LockDenied.class);
            assertEquals(List.of(0L, 100L, READ_LT), List.of(d.offset(), d.length(), d.lockType()),
                    "LOCK4denied names the guest's lock");
            assertNotEquals(host.clientId(), d.clientId());

            Nfs4Client.OpenFile f = host.open(DATA);
            StateId lock = Nfs4Client.expectOk(host.call(b -> b.putfh(fh).lockNew(READ_LT, 200, 100, 0, f.stateId(),
                    0, host.clientId(), hostOwner))).last().as(StateId.class);
            mark(sync, "host-locked");

            awaitFile(sync.resolve("guest-saw-host"), run);
            StateId unlocked = Nfs4Client.expectOk(host.call(b -> b.putfh(fh).locku(READ_LT, 0, lock, 0,
                    NFS4_UINT64_MAX))).last().as(StateId.class);
            Nfs4Client.expectOk(host.call(b -> b.freeStateid(unlocked)));
            mark(sync, "host-unlocked");

            awaitFile(sync.resolve("guest-unlocked"), run);
            Nfs4Client.expectOk(host.call(b -> b.putfh(fh).lockt(WRITE_LT, 0, NFS4_UINT64_MAX, 0, hostOwner)));
            host.closeFile(f);
            mark(sync, "host-done");

            awaitFile(sync.resolve("h5-open"), run);
            assertEquals(1.0, gauge(scrape(), "prefetchd_nfs_locks_held"),
                    "h5py's flock is a whole-file read lock held by the server");
            assertTrue(status().contains(", locks 1\n"), status());
            Nfs4Client.expectOk(host.call(b -> b.putfh(host.lookup(H5)).lockt(READ_LT, 0, NFS4_UINT64_MAX, 0,
                    hostOwner)));
            assertEquals(NfsStatus.NFS4ERR_DENIED, host.call(b -> b.putfh(host.lookup(H5)).lockt(WRITE_LT, 0, 1, 0,
                    hostOwner)).status());
            mark(sync, "host-saw-h5");
        }
    }

    /** The prefetchd_nfs_ops_total lines of the lock operations. */
    private static String lockOps(String exposition) {
        StringBuilder sb = new StringBuilder();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("prefetchd_nfs_ops_total") && line.contains("op=\"LOCK")
                    || line.startsWith("prefetchd_nfs_locks_held")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private static void mark(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            Files.writeString(p, "");
        }
    }

    /** "key value" lines to a map. */
    private static Map<String, String> parse(String stdout) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                m.put(line.substring(0, sp), line.substring(sp + 1).trim());
            }
        }
        return m;
    }

    private static void awaitFile(Path marker, CompletableFuture<VmNfsClient.Result> run) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(6));
        while (!Files.exists(marker)) {
            if (run.isDone()) {
                fail("the guest ended before " + marker.getFileName() + ": " + run.get().describe());
            }
            if (Instant.now().isAfter(deadline)) {
                fail("the guest did not reach " + marker.getFileName());
            }
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

    private static String status() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + Daemon.httpPort(daemon) + "/status")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double gauge(String exposition, String name) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(name + " not exposed:\n" + exposition);
    }

    private static double metric(String exposition, String name, String labels) {
        return LinuxClientIT.metric(exposition, name, labels);
    }
}

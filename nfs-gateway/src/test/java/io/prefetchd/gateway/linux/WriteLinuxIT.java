package io.prefetchd.gateway.linux;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportTable;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.rpc.Nfs4RpcService;
import io.prefetchd.gateway.nfs.rpc.NfsServer;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.MemoryFileSystem;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The NFS write operations as the real Linux kernel client drives them (4.1 and 4.0), over the in-memory writable
 * file system, so what is checked is the protocol layer: create, write and fsync, rename into place (a file and a
 * folder), rmdir of a full and an empty folder, chmod, truncate, touch, append, the errors users see for what S3
 * cannot hold, and a user without write permission on a folder. The file system is told about each closed writer.
 * The same workload through the whole gateway (staging, upload) is a test of the write path's storage side.
 */
class WriteLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private NfsServer server;
    private MemoryFileSystem fs;

    @BeforeAll
    static void vm() {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
    }

    private int start() {
        fs = new MemoryFileSystem(Clock.systemUTC(), 42);
        FileHandles handles = new FileHandles("write-it/", null);
        Duration lease = Duration.ofSeconds(60);
        NfsLimits limits = NfsLimits.defaults();
        AccessControl access = new AccessControl(ExportTable.parse(List.of("127.0.0.1 rw no-squash")),
                new FileOwnership(0, 0, 0666, 0777), new SimpleMeterRegistry());
        Nfs4Services services = new Nfs4Services(fs, handles, new NfsState(Clock.systemUTC(), lease),
                new AttributeEncoder(handles, fs, lease, limits, access.ownership()), limits, Clock.systemUTC(),
                "write-it".getBytes(StandardCharsets.UTF_8), ReadObserver.NONE, access);
        NfsMetrics metrics = new NfsMetrics(new SimpleMeterRegistry());
        server = new NfsServer("127.0.0.1", 0, 4, NfsServer.ConnectionLimits.defaults(),
                new Nfs4RpcService(new CompoundProcessor(services, metrics), metrics), metrics).start();
        return server.port();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void writeWorkload_v41(@TempDir Path tmp) throws Exception {
        workload("4.1", tmp);
    }

    @Test
    void writeWorkload_v40(@TempDir Path tmp) throws Exception {
        workload("4.0", tmp);
    }

    private void workload(String vers, Path tmp) throws Exception {
        int port = start();
        Path out = runWorkload(port, vers, tmp);
        String md5 = checkWhatTheGuestSaw(out, vers);
        assertEquals(md5, HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(fs.content("ckpt.pt"))),
                "what the file system holds");
        assertFalse(fs.exists("ckpt.tmp"));
        assertTrue(fs.closed.contains("ckpt.tmp"), "the writer's close reached the file system: " + fs.closed);
        assertFalse(fs.exists("run-final"));
        assertTrue(fs.exists("moved.txt") && !fs.exists("new.txt"));
    }

    /**
     * Runs {@code guest/write_workload.sh} in the guest against {@code port}, with its script and results in
     * {@code dir} (under the host's /tmp, which the guest sees); returns its result folder.
     */
    static Path runWorkload(int port, String vers, Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out")).toAbsolutePath();
        Path script = GuestScripts.writeScript("write_workload.sh", dir.resolve("scripts"));
        VmNfsClient.Result r = VM.run(VmNfsClient.Options.mount(port).vers(vers).share(out)
                .timeout(Duration.ofMinutes(4)), "sh", script.toString(), out.toString());
        r.assertSuccess();
        return out;
    }

    /**
     * Checks what the workload saw through the mount: every step that must work worked, every refusal came with
     * the errno users should see. Returns the MD5 of the checkpoint it wrote.
     */
    static String checkWhatTheGuestSaw(Path out, String vers) throws Exception {
        for (String ok : List.of("create", "ckpt", "dir-rename", "rmdir", "chmod", "append", "truncate", "touch",
                "mv", "locked")) {
            assertEquals("0", read(out, ok + ".rc"), ok + ": " + readOrEmpty(out, ok + ".err"));
        }
        assertEquals("hello", read(out, "new.txt"));
        String md5 = read(out, "ckpt.md5");
        assertEquals(md5, read(out, "ckpt-readback.md5"), "read back through the mount");
        assertEquals("run-final:\nstep-10\n\nrun-final/step-10:\nw.bin", read(out, "ls-run.txt"));
        assertNotEquals("0", read(out, "rmdir-full.rc"));
        assertTrue(read(out, "rmdir-full.err").contains("not empty"), read(out, "rmdir-full.err"));
        assertEquals("600 0 0 6", read(out, "stat.txt"));
        assertEquals("hel", read(out, "truncated.txt"));
        assertEquals("1580702706", read(out, "mtime.txt"));
        for (String refused : List.of("symlink", "hardlink", "mkfifo", "mkdir-exists", "rm-missing", "other-user")) {
            assertNotEquals("0", read(out, refused + ".rc"), refused + " must fail");
        }
        assertTrue(read(out, "mkdir-exists.err").contains("File exists"), read(out, "mkdir-exists.err"));
        assertTrue(read(out, "rm-missing.err").contains("No such file"), read(out, "rm-missing.err"));
        assertTrue(read(out, "other-user.err").contains("Permission denied"), read(out, "other-user.err"));
        for (String unsupported : List.of("symlink", "hardlink", "mkfifo")) {
            assertTrue(read(out, unsupported + ".err").contains("Operation not permitted"),
                    vers + " " + unsupported + ": " + read(out, unsupported + ".err"));
        }
        return md5;
    }

    private static String read(Path dir, String name) throws Exception {
        return Files.readString(dir.resolve(name)).trim();
    }

    private static String readOrEmpty(Path dir, String name) throws Exception {
        Path p = dir.resolve(name);
        return Files.exists(p) ? Files.readString(p).trim() : "";
    }
}

package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A second, user-space NFS client for integration tests: Debian's {@code nfs-cat}, {@code nfs-ls} and
 * {@code nfs-cp} from {@code libnfs-utils}. No VM and no root needed, so a test that only needs
 * "does the server return these bytes" runs in well under a second.
 *
 * <p>Limits worth knowing (libnfs 4.0.0, Debian bookworm):
 * <ul>
 *   <li>Its NFSv4 is <b>4.0 only</b> (SETCLIENTID/SETCLIENTID_CONFIRM, no EXCHANGE_ID or
 *       sessions), so it only talks to a server that also accepts minor version 0.
 *   <li>URLs are {@code nfs://127.0.0.1//PATH?version=4&nfsport=PORT}; the path after the host is
 *       the path from the server's pseudo-root. Without {@code version=4} it speaks NFSv3 and
 *       asks rpcbind for the ports.
 *   <li>It cannot send an NFSv4 WRITE of more than about 3.9 KiB: it encodes each COMPOUND into a fixed 4 KiB
 *       buffer, so a larger {@code nfs_pwrite} fails in the client ("ZDR error: Failed to encode COMPOUND4args")
 *       before anything is sent, whatever the server. {@code nfs-cp} writes in one call per MiB, so it copies
 *       only files below that size into an NFSv4 server (larger ones: "Failed to write to dest file").
 *   <li>Against a peer that accepts the TCP connection but never answers, it waits forever,
 *       hence the timeout on every call here. With nothing listening both fail at once
 *       ({@code nfs-cat} exit 10, {@code nfs-ls} exit 251, "Failed to mount nfs share" on stderr).
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class LibNfs {

    /** Package that provides the tools, for messages. */
    public static final String DEBIAN_PACKAGE = "libnfs-utils";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final List<Path> SEARCH = List.of(Path.of("/usr/bin"), Path.of("/usr/local/bin"), Path.of("/bin"));

    /** The largest file {@code nfs-cp} can write into an NFSv4 server (see the class comment), with some margin. */
    public static final int MAX_NFS4_WRITE = 3500;

    private final Path nfsCat;
    private final Path nfsLs;
    private final Path nfsCp;

    private LibNfs(Path nfsCat, Path nfsLs, Path nfsCp) {
        this.nfsCat = nfsCat;
        this.nfsLs = nfsLs;
        this.nfsCp = nfsCp;
    }

    /** Finds {@code nfs-cat}, {@code nfs-ls} and {@code nfs-cp} on {@code PATH} or in the usual directories. */
    public static LibNfs locate() {
        return new LibNfs(find("nfs-cat").orElse(null), find("nfs-ls").orElse(null), find("nfs-cp").orElse(null));
    }

    private static Optional<Path> find(String tool) {
        List<Path> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            Arrays.stream(path.split(":")).filter(s -> !s.isEmpty()).map(Path::of).forEach(dirs::add);
        }
        dirs.addAll(SEARCH);
        return dirs.stream().map(d -> d.resolve(tool))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .findFirst();
    }

    public boolean isAvailable() {
        return nfsCat != null && nfsLs != null && nfsCp != null;
    }

    public String unavailableReason() {
        if (isAvailable()) {
            return "nfs-cat, nfs-ls and nfs-cp are available";
        }
        return "nfs-cat/nfs-ls/nfs-cp not found: apt-get install -y " + DEBIAN_PACKAGE;
    }

    /**
     * URL of {@code path} on the NFSv4 server at {@code 127.0.0.1:port}.
     *
     * @param path path from the server's root, with or without a leading slash
     */
    public static String url(int port, String path) {
        requireNonNull(path, "path is null");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        String p = path.startsWith("/") ? path : "/" + path;
        return "nfs://127.0.0.1/" + p + "?version=4&nfsport=" + port;
    }

    /** Reads a whole file; throws with nfs-cat's stderr if it fails. */
    public byte[] cat(int port, String path) {
        Result r = run(Tool.CAT, url(port, path), DEFAULT_TIMEOUT);
        return r.assertSuccess().stdout();
    }

    /** Lists a directory, one line per entry as {@code nfs-ls} prints it ({@code mode nlink uid gid size name}). */
    public List<String> ls(int port, String dir) {
        Result r = run(Tool.LS, url(port, dir), DEFAULT_TIMEOUT);
        String text = new String(r.assertSuccess().stdout(), StandardCharsets.UTF_8);
        return text.lines().filter(l -> !l.isBlank()).toList();
    }

    /**
     * Copies a local file to {@code path} on the server with {@code nfs-cp} (create, truncate, write, close); throws
     * with its stderr if it fails.
     */
    public void copyTo(Path local, int port, String path) {
        requireNonNull(local, "local is null");
        if (!isAvailable()) {
            throw new IllegalStateException(unavailableReason());
        }
        List<String> argv = List.of(nfsCp.toString(), local.toString(), url(port, path));
        try {
            ProcessRunner.Completed c = ProcessRunner.run(argv, DEFAULT_TIMEOUT, null, Map.of());
            new Result(argv, c.exitCode(), c.stdout(), new String(c.stderr(), StandardCharsets.UTF_8), c.elapsed(),
                    c.timedOut()).assertSuccess();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv, e);
        }
    }

    /** The tools this class runs. */
    public enum Tool {
        CAT("nfs-cat"), LS("nfs-ls");

        private final String command;

        Tool(String command) {
            this.command = command;
        }

        public String command() {
            return command;
        }
    }

    /** Runs one tool on one URL and reports how it ended, without judging it. */
    public Result run(Tool tool, String url, Duration timeout) {
        requireNonNull(tool, "tool is null");
        requireNonNull(url, "url is null");
        requireNonNull(timeout, "timeout is null");
        if (!isAvailable()) {
            throw new IllegalStateException(unavailableReason());
        }
        Path exe = tool == Tool.CAT ? nfsCat : nfsLs;
        List<String> argv = List.of(exe.toString(), url);
        try {
            ProcessRunner.Completed c = ProcessRunner.run(argv, timeout, null, Map.of());
            return new Result(argv, c.exitCode(), c.stdout(), new String(c.stderr(), StandardCharsets.UTF_8),
                    c.elapsed(), c.timedOut());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv, e);
        }
    }

    /** How one {@code nfs-cat}/{@code nfs-ls} run ended; {@code exitCode} is -1 when it timed out. */
    public record Result(List<String> commandLine, int exitCode, byte[] stdout, String stderr,
                         Duration elapsed, boolean timedOut) {

        public Result {
            commandLine = List.copyOf(commandLine);
            requireNonNull(stdout, "stdout is null");
            requireNonNull(stderr, "stderr is null");
            requireNonNull(elapsed, "elapsed is null");
        }

        public boolean succeeded() {
            return !timedOut && exitCode == 0;
        }

        public String describe() {
            String how = timedOut ? "timed out after " + elapsed.toMillis() + " ms and was killed"
                    : "exit " + exitCode + " after " + elapsed.toMillis() + " ms";
            String out = stdout.length > 4096 ? "(" + stdout.length + " bytes)"
                    : new String(stdout, StandardCharsets.UTF_8);
            return String.join(" ", commandLine) + ": " + how
                    + "\n--- stdout ---\n" + out
                    + "\n--- stderr ---\n" + ProcessRunner.tail(stderr, 40);
        }

        public Result assertSuccess() {
            if (!succeeded()) {
                throw new AssertionError("libnfs run failed: " + describe());
            }
            return this;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && r.exitCode == exitCode && r.timedOut == timedOut
                    && r.commandLine.equals(commandLine) && Arrays.equals(r.stdout, stdout)
                    && r.stderr.equals(stderr) && r.elapsed.equals(elapsed);
        }

        @Override
        public int hashCode() {
            return 31 * commandLine.hashCode() + Arrays.hashCode(stdout);
        }

        @Override
        public String toString() {
            return "LibNfs.Result[" + describe() + "]";
        }
    }

    @Override
    public String toString() {
        return isAvailable() ? "LibNfs[" + nfsCat + ", " + nfsLs + "]" : "LibNfs[unavailable]";
    }
}

package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real Linux NFS client, for integration tests: runs {@code vm-nfs-client}, which boots a
 * small QEMU guest, mounts an NFS server that listens on this host's loopback, runs one command
 * in the guest and reports its exit status (see {@code shared/tools/vm-nfs-client/README.md}).
 *
 * <p>The tool lives outside the repository, in {@code shared/tools/vm-nfs-client/} next to the
 * repository root (CI clones to {@code /work/<name>/} with {@code /work/shared} beside it). It is
 * found by walking up from the module directory until {@code shared/tools/vm-nfs-client/vm-nfs-client}
 * exists in a directory; the environment variable {@value #ENV_OVERRIDE} names the script directly.
 *
 * <p>Typical use:
 * <pre>{@code
 * VmNfsClient vm = VmNfsClient.locate();
 * assumeTrue(vm.isAvailable(), vm.unavailableReason());
 * VmNfsClient.Result r = vm.run(port, "4.1", Duration.ofMinutes(3), "md5sum", "/mnt/nfs/big/blob.bin");
 * r.assertSuccess();
 * }</pre>
 *
 * <p>The first run on a machine installs QEMU with apt and downloads a kernel (about 30 s); after
 * that a run costs 6-10 s of boot under TCG plus the command. Runs are independent VMs and may
 * overlap. Instances are immutable and thread-safe.
 */
public final class VmNfsClient {

    /** Environment variable that names the {@code vm-nfs-client} script, skipping the search. */
    public static final String ENV_OVERRIDE = "VM_NFS_CLIENT";
    /** Exit status of the tool when the NFS mount failed (the guest's mount output is on stderr). */
    public static final int EXIT_MOUNT_FAILED = 32;
    /** Exit status of the tool when the run passed {@code --timeout}. */
    public static final int EXIT_TIMEOUT = 124;
    /** Exit status of the tool when the VM itself failed. */
    public static final int EXIT_VM_FAILED = 125;
    /** Where the guest mounts the export unless {@code --mnt} says otherwise. */
    public static final String DEFAULT_MOUNT_POINT = "/mnt/nfs";

    static final String RELATIVE_PATH = "shared/tools/vm-nfs-client/vm-nfs-client";
    /** Host-side allowance on top of the tool's own timeout: first-use setup, boot, power-off. */
    private static final Duration HOST_ALLOWANCE = Duration.ofMinutes(3);

    private final Path script;
    private final String unavailableReason;

    private VmNfsClient(Path script, String unavailableReason) {
        this.script = script;
        this.unavailableReason = unavailableReason;
    }

    /** Finds the tool from the environment and the module directory of the running build. */
    public static VmNfsClient locate() {
        String start = System.getProperty("basedir", System.getProperty("user.dir"));
        return locate(System.getenv(), Path.of(start), isRoot());
    }

    static VmNfsClient locate(Map<String, String> env, Path startDir, boolean root) {
        Optional<Path> found;
        String override = env.get(ENV_OVERRIDE);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                return new VmNfsClient(null, ENV_OVERRIDE + "=" + override + " is not an executable file");
            }
            found = Optional.of(p);
        } else {
            found = search(startDir);
            if (found.isEmpty()) {
                return new VmNfsClient(null, "vm-nfs-client not found: no " + RELATIVE_PATH
                        + " in " + startDir.toAbsolutePath() + " or any parent; set " + ENV_OVERRIDE);
            }
        }
        if (!root) {
            return new VmNfsClient(found.get(), "vm-nfs-client needs root (apt setup, unshare --pid, "
                    + "reading / over 9p); this JVM does not run as uid 0");
        }
        return new VmNfsClient(found.get(), null);
    }

    /** Walks up from {@code startDir}: the first directory holding {@value #RELATIVE_PATH} wins. */
    static Optional<Path> search(Path startDir) {
        for (Path d = startDir.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
            Path candidate = d.resolve(RELATIVE_PATH);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        try {
            // /proc/self belongs to the uid the process runs as
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Whether runs can work here: the script was found and we are root. */
    public boolean isAvailable() {
        return unavailableReason == null;
    }

    /** Why {@link #isAvailable()} is false, for {@code assumeTrue(vm.isAvailable(), vm.unavailableReason())}. */
    public String unavailableReason() {
        return unavailableReason == null ? "vm-nfs-client is available at " + script : unavailableReason;
    }

    /** The script, if it was found. */
    public Optional<Path> script() {
        return Optional.ofNullable(script);
    }

    /**
     * Mounts {@code 127.0.0.1:port:/} at {@value #DEFAULT_MOUNT_POINT} in a fresh guest and runs
     * {@code command} there.
     *
     * @param vers NFS version to mount ({@code "4.1"}, {@code "4.0"}, {@code "4.2"}...), or null to
     *     negotiate like a plain {@code mount -t nfs} (4.2, then 4.1, then 4.0)
     * @param timeout the tool's {@code --timeout}: boot plus mount plus command
     */
    public Result run(int port, String vers, Duration timeout, String... command) {
        return run(Options.mount(port).vers(vers).timeout(timeout), command);
    }

    /** Runs {@code command} in a fresh guest with the given options. */
    public Result run(Options options, String... command) {
        requireNonNull(options, "options is null");
        requireNonNull(command, "command is null");
        if (command.length == 0) {
            throw new IllegalArgumentException("no command to run in the guest");
        }
        if (!isAvailable()) {
            throw new IllegalStateException(unavailableReason);
        }
        List<String> argv = new ArrayList<>();
        argv.add(script.toString());
        argv.addAll(options.toArgs());
        argv.add("--");
        argv.addAll(List.of(command));
        try {
            ProcessRunner.Completed c = ProcessRunner.run(argv, options.timeout().plus(HOST_ALLOWANCE), null, Map.of());
            return new Result(argv, c.timedOut() ? EXIT_TIMEOUT : c.exitCode(),
                    new String(c.stdout(), StandardCharsets.UTF_8),
                    new String(c.stderr(), StandardCharsets.UTF_8), c.elapsed(), c.timedOut());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv, e);
        }
    }

    /**
     * Options of one run, as an immutable value with withers; start from {@link #mount(int)} or
     * {@link #noMount(int)}.
     *
     * @param port NFS server port on 127.0.0.1
     * @param vers NFS version or null to negotiate
     * @param mountOptions extra mount options ({@code --opts}), e.g. {@code "ro,noac"}, or null
     * @param export exported path to mount ({@code --export}), or null for {@code /}
     * @param mounted false for {@code --no-mount}: the command mounts by itself
     * @param timeout the tool's {@code --timeout}
     * @param shares host directories shared read-write into the guest at the same path ({@code --share})
     * @param verbose {@code -v}: negotiated mount line, guest timings and kernel log on stderr
     * @param forwards host loopback ports the guest may reach at {@code $VM_NFS_SERVER} ({@code --forward})
     */
    public record Options(int port, String vers, String mountOptions, String export, boolean mounted,
                          Duration timeout, List<Path> shares, boolean verbose, List<Integer> forwards) {

        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(180);

        public Options {
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.toSeconds() < 1) {
                throw new IllegalArgumentException("timeout must be at least one second: " + timeout);
            }
            shares = List.copyOf(shares);
            forwards = List.copyOf(forwards);
        }

        public static Options mount(int port) {
            return new Options(port, null, null, null, true, DEFAULT_TIMEOUT, List.of(), false, List.of());
        }

        /** The guest does not mount; {@code VM_NFS_SERVER}/{@code VM_NFS_PORT} tell the command where to go. */
        public static Options noMount(int port) {
            return mount(port).withMounted(false);
        }

        public Options vers(String v) {
            return new Options(port, v, mountOptions, export, mounted, timeout, shares, verbose, forwards);
        }

        public Options mountOptions(String o) {
            return new Options(port, vers, o, export, mounted, timeout, shares, verbose, forwards);
        }

        public Options export(String e) {
            return new Options(port, vers, mountOptions, e, mounted, timeout, shares, verbose, forwards);
        }

        public Options withMounted(boolean m) {
            return new Options(port, vers, mountOptions, export, m, timeout, shares, verbose, forwards);
        }

        public Options timeout(Duration t) {
            return new Options(port, vers, mountOptions, export, mounted, t, shares, verbose, forwards);
        }

        public Options share(Path dir) {
            List<Path> more = new ArrayList<>(shares);
            more.add(dir.toAbsolutePath());
            return new Options(port, vers, mountOptions, export, mounted, timeout, more, verbose, forwards);
        }

        public Options verbose(boolean v) {
            return new Options(port, vers, mountOptions, export, mounted, timeout, shares, v, forwards);
        }

        /** Lets the guest reach host loopback port {@code p} at {@code $VM_NFS_SERVER:p}, e.g. a second server. */
        public Options forward(int p) {
            List<Integer> more = new ArrayList<>(forwards);
            more.add(p);
            return new Options(port, vers, mountOptions, export, mounted, timeout, shares, verbose, more);
        }

        List<String> toArgs() {
            List<String> a = new ArrayList<>(List.of("--port", Integer.toString(port)));
            if (vers != null) {
                a.addAll(List.of("--vers", vers));
            }
            if (mountOptions != null) {
                a.addAll(List.of("--opts", mountOptions));
            }
            if (export != null) {
                a.addAll(List.of("--export", export));
            }
            if (!mounted) {
                a.add("--no-mount");
            }
            a.addAll(List.of("--timeout", Long.toString(timeout.toSeconds())));
            for (Path s : shares) {
                a.addAll(List.of("--share", s.toString()));
            }
            for (int f : forwards) {
                a.addAll(List.of("--forward", Integer.toString(f)));
            }
            if (verbose) {
                a.add("-v");
            }
            return a;
        }
    }

    /**
     * How a run ended. {@code exitCode} is the guest command's own status except for
     * {@link #EXIT_MOUNT_FAILED}, {@link #EXIT_TIMEOUT} and {@link #EXIT_VM_FAILED}, which the tool
     * uses for its own failures (a command that itself exits 32 is indistinguishable).
     */
    public record Result(List<String> commandLine, int exitCode, String stdout, String stderr,
                         Duration elapsed, boolean hostTimeout) {

        public Result {
            commandLine = List.copyOf(commandLine);
            requireNonNull(stdout, "stdout is null");
            requireNonNull(stderr, "stderr is null");
            requireNonNull(elapsed, "elapsed is null");
        }

        public boolean succeeded() {
            return exitCode == 0;
        }

        public boolean mountFailed() {
            return exitCode == EXIT_MOUNT_FAILED;
        }

        public boolean timedOut() {
            return exitCode == EXIT_TIMEOUT;
        }

        public boolean vmFailed() {
            return exitCode == EXIT_VM_FAILED;
        }

        /** The exit status in words: what a test failure message should lead with. */
        public String meaning() {
            if (hostTimeout) {
                return "vm-nfs-client did not finish within the host-side deadline and was killed";
            }
            return switch (exitCode) {
                case 0 -> "exit 0: success";
                case EXIT_MOUNT_FAILED -> "exit 32: the NFS mount failed (guest mount output and kernel log below)";
                case EXIT_TIMEOUT -> "exit 124: the run passed its --timeout (last guest stage below)";
                case EXIT_VM_FAILED -> "exit 125: the VM itself failed";
                default -> "exit " + exitCode + ": the guest command failed";
            };
        }

        /** A multi-line account for assertion messages: meaning, command, time, output tails. */
        public String describe() {
            return meaning() + "\n  command: " + String.join(" ", commandLine)
                    + "\n  elapsed: " + elapsed.toMillis() + " ms"
                    + "\n--- stdout (tail) ---\n" + ProcessRunner.tail(stdout, 40)
                    + "\n--- stderr (tail) ---\n" + ProcessRunner.tail(stderr, 60);
        }

        /** Throws an {@link AssertionError} with {@link #describe()} unless the run exited 0. */
        public Result assertSuccess() {
            if (!succeeded()) {
                throw new AssertionError("vm-nfs-client run failed: " + describe());
            }
            return this;
        }
    }

    @Override
    public String toString() {
        return isAvailable() ? "VmNfsClient[" + script + "]" : "VmNfsClient[unavailable: " + unavailableReason + "]";
    }
}

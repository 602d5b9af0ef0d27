package io.prefetchd.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * s3fs-fuse or rclone mounted on the emulated S3 with a local cache of the run's cache size, read with positional
 * reads of the mount (the kernel's FUSE client). Each tool runs in the foreground as a child process, so the
 * harness owns it and unmounts it at the end.
 *
 * <ul>
 *   <li>s3fs ({@code -o use_cache=DIR}): s3fs 1.90 has no cache size option, so when the harness runs as root the
 *       cache folder is a tmpfs of the cache size ({@code ensure_diskfree} keeps s3fs from filling it); otherwise
 *       the cache is unbounded and a note says so;</li>
 *   <li>rclone ({@code mount --vfs-cache-mode full --vfs-cache-max-size N}).</li>
 * </ul>
 */
final class FuseContender extends FolderContender {
    private final Process process;
    private final Path mountPoint;
    /** The tmpfs mounted for the cache folder, or null when there is none to unmount. */
    private final @Nullable Path tmpfs;
    private final List<String> notes;

    private FuseContender(String name, String client, Path mountPoint, Process process, @Nullable Path tmpfs,
                          List<String> notes) {
        super(name, client, mountPoint);
        this.process = process;
        this.mountPoint = mountPoint;
        this.tmpfs = tmpfs;
        this.notes = notes;
    }

    static FuseContender s3fs(S3Emulator s3, long cacheBytes, Path work) throws Unavailable {
        requireTool("s3fs");
        List<String> notes = new ArrayList<>();
        try {
            Path mnt = Files.createDirectories(work.resolve("mnt"));
            Path cache = Files.createDirectories(work.resolve("cache"));
            Path pass = work.resolve("passwd");
            Files.writeString(pass, S3Emulator.ACCESS_KEY + ":" + S3Emulator.SECRET_KEY + "\n");
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            long mib = Math.max(1, cacheBytes >> 20);
            // s3fs 1.90 refuses to start unless the cache folder has multipart_size x parallel_count (5 x 5 MB
            // here) free beyond ensure_diskfree, and stops caching when free space drops below ensure_diskfree.
            long workMib = 26;
            if (mib < workMib) {
                throw new Unavailable("s3fs needs a cache of at least " + workMib + " MiB (multipart_size 5 x "
                        + "parallel_count 5 of working space), the run's cache is " + mib + " MiB");
            }
            Path tmpfs = null;
            if (run(List.of("mount", "-t", "tmpfs", "-o", "size=" + (mib + workMib) + "m", "tmpfs",
                    cache.toString())) == 0) {
                tmpfs = cache;
                notes.add("s3fs 1.90 has no cache size option: its cache folder is a tmpfs of cache + " + workMib
                        + " MiB with ensure_diskfree=" + workMib + ", multipart_size=5");
            } else {
                notes.add("s3fs 1.90 has no cache size option and tmpfs could not be mounted (not root?): "
                        + "its cache is unbounded");
            }
            List<String> cmd = List.of("s3fs", s3.bucket(), mnt.toString(), "-f",
                    "-o", "url=" + s3.endpoint(), "-o", "use_path_request_style", "-o", "passwd_file=" + pass,
                    "-o", "use_cache=" + cache, "-o", "ensure_diskfree=" + workMib, "-o", "multipart_size=5",
                    "-o", "ro", "-o", "endpoint=us-east-1");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(work.resolve("s3fs.log").toFile()).start();
            awaitMount(p, mnt, work.resolve("s3fs.log"), tmpfs);
            return new FuseContender("s3fs", "kernel FUSE client over s3fs-fuse " + version("s3fs", "--version")
                    + " (use_cache)", mnt, p, tmpfs, notes);
        } catch (IOException e) {
            throw new Unavailable("s3fs: " + e.getMessage(), e);
        }
    }

    static FuseContender rclone(S3Emulator s3, long cacheBytes, Path work) throws Unavailable {
        requireTool("rclone");
        try {
            Path mnt = Files.createDirectories(work.resolve("mnt"));
            Path cache = Files.createDirectories(work.resolve("cache"));
            Path conf = work.resolve("rclone.conf");
            Files.writeString(conf, "");
            List<String> cmd = List.of("rclone", "mount", ":s3:" + s3.bucket(), mnt.toString(),
                    "--config", conf.toString(), "--s3-provider", "Other", "--s3-endpoint", s3.endpoint().toString(),
                    "--s3-access-key-id", S3Emulator.ACCESS_KEY, "--s3-secret-access-key", S3Emulator.SECRET_KEY,
                    "--s3-region", "us-east-1", "--s3-force-path-style=true", "--read-only",
                    "--vfs-cache-mode", "full", "--vfs-cache-max-size", Long.toString(cacheBytes),
                    "--cache-dir", cache.toString(), "--dir-cache-time", "1h", "--vfs-cache-poll-interval", "2s");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(work.resolve("rclone.log").toFile());
            // rclone 1.60 fails on a plain-http endpoint when AWS_CA_BUNDLE is set ("unable to load custom CA
            // bundle"); the emulator needs no credentials or CA from the environment
            pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("RCLONE_"));
            Process p = pb.start();
            awaitMount(p, mnt, work.resolve("rclone.log"), null);
            List<String> notes = new ArrayList<>();
            notes.add("rclone enforces --vfs-cache-max-size when it polls the cache (--vfs-cache-poll-interval 2s "
                    + "here, default 1m) and never evicts open files, so its cache can exceed the limit in between");
            return new FuseContender("rclone", "kernel FUSE client over rclone mount " + version("rclone", "version")
                    + " (--vfs-cache-mode full)", mnt, p, null, notes);
        } catch (IOException e) {
            throw new Unavailable("rclone: " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> notes() {
        return List.copyOf(notes);
    }

    private static void requireTool(String tool) throws Unavailable {
        if (!Files.isReadable(Path.of("/dev/fuse"))) {
            throw new Unavailable("/dev/fuse is not available here");
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        throw new Unavailable(tool + " is not installed (apt-get install " + tool + ")");
    }

    private static void awaitMount(Process p, Path mnt, Path log, @Nullable Path tmpfs)
            throws Unavailable, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!mounted(mnt)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                if (tmpfs != null) {
                    run(List.of("umount", tmpfs.toString()));
                }
                String text = Files.exists(log) ? Files.readString(log).strip() : "";
                throw new Unavailable("mount failed" + (p.isAlive() ? " (timeout)" : "") + ": "
                        + (text.length() > 300 ? text.substring(text.length() - 300) : text));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted");
            }
        }
    }

    static boolean mounted(Path mnt) throws IOException {
        String target = " " + mnt.toAbsolutePath() + " ";
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.contains(target)) {
                return true;
            }
        }
        return false;
    }

    static int run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static String version(String tool, String arg) {
        try {
            Process p = new ProcessBuilder(tool, arg).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor(10, TimeUnit.SECONDS);
            String first = out.isEmpty() ? "?" : out.split("\n")[0];
            return first.toLowerCase(Locale.ROOT).contains("v") ? first : tool + " " + first;
        } catch (IOException | InterruptedException e) {
            return tool + " (version unknown)";
        }
    }

    @Override
    public void close() throws Exception {
        if (run(List.of("fusermount3", "-u", mountPoint.toString())) != 0
                && run(List.of("fusermount", "-u", mountPoint.toString())) != 0) {
            run(List.of("umount", "-l", mountPoint.toString()));
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        if (tmpfs != null) {
            run(List.of("umount", tmpfs.toString()));
        }
    }
}

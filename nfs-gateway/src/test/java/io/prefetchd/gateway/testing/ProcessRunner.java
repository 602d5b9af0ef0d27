package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program to completion with a deadline, capturing stdout and stderr.
 *
 * <p>Output goes to temporary files rather than pipes, so a chatty program can never block on a
 * full pipe and no reader threads are needed. On the deadline the program and every process it
 * started get SIGTERM, then SIGKILL ten seconds later; the descendants are collected before the
 * parent is signalled, because they are re-parented (and lost to {@link ProcessHandle}) once it dies.
 */
final class ProcessRunner {

    private static final Duration KILL_GRACE = Duration.ofSeconds(10);

    /** How one run ended; {@code exitCode} is -1 when {@code timedOut}. */
    record Completed(List<String> command, int exitCode, byte[] stdout, byte[] stderr,
                     Duration elapsed, boolean timedOut) {
        Completed {
            command = List.copyOf(command);
            requireNonNull(stdout, "stdout is null");
            requireNonNull(stderr, "stderr is null");
            requireNonNull(elapsed, "elapsed is null");
        }
    }

    private ProcessRunner() {
    }

    static Completed run(List<String> command, Duration timeout, Path workDir, Map<String, String> extraEnv)
            throws IOException {
        requireNonNull(command, "command is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(extraEnv, "extraEnv is null");
        Path out = Files.createTempFile("prefetchd-proc-", ".out");
        Path err = Files.createTempFile("prefetchd-proc-", ".err");
        long start = System.nanoTime();
        try {
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            pb.environment().putAll(extraEnv);
            Process process = pb.start();
            boolean timedOut = false;
            int exit;
            try {
                if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    exit = process.exitValue();
                } else {
                    timedOut = true;
                    exit = -1;
                    kill(process);
                }
            } catch (InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while running " + command);
            }
            return new Completed(command, exit, Files.readAllBytes(out), Files.readAllBytes(err),
                    Duration.ofNanos(System.nanoTime() - start), timedOut);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static void kill(Process process) {
        List<ProcessHandle> tree = process.descendants().toList();
        process.destroy();
        tree.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /** Last {@code maxLines} lines of {@code text}, for assertion messages. */
    static String tail(String text, int maxLines) {
        String[] lines = text.split("\n", -1);
        if (lines.length <= maxLines) {
            return text;
        }
        return "[... " + (lines.length - maxLines) + " lines cut ...]\n"
                + String.join("\n", List.of(lines).subList(lines.length - maxLines, lines.length));
    }
}

package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GNU tar, run as a process: the independent writer and the ground truth for tar fixtures. */
final class GnuTar {
    /** One line of {@code tar --block-number -tvf}: the block GNU tar reports, the size and the name. */
    record Listed(long block, long size, String name) {
    }

    private static final Pattern LINE = Pattern.compile(
            "^block (\\d+): \\S+ \\S+\\s+(\\d+) \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d (.*)$");

    private GnuTar() {
    }

    /** {@code tar --format=<format> -cf <archive> -C <dir> <members...>}, members in the given order. */
    static void create(Path archive, Path dir, String format, List<String> members) throws IOException {
        Files.createDirectories(archive.toAbsolutePath().getParent());
        List<String> cmd = new ArrayList<>(List.of("tar", "--format=" + format, "--owner=0", "--group=0",
                "--numeric-owner", "--mtime=@0", "--no-recursion", "-cf", archive.toString(), "-C", dir.toString()));
        cmd.addAll(members);
        run(cmd);
    }

    static List<Listed> list(Path archive) throws IOException {
        List<Listed> out = new ArrayList<>();
        for (String line : run(List.of("tar", "--block-number", "-tvf", archive.toString())).split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                out.add(new Listed(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), m.group(3)));
            }
        }
        return out;
    }

    /** Extracts every member into {@code into}. */
    static void extract(Path archive, Path into) throws IOException {
        Files.createDirectories(into);
        run(List.of("tar", "-xf", archive.toString(), "-C", into.toString()));
    }

    static String run(List<String> cmd) throws IOException {
        Path log = Files.createTempFile("gnutar", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            int rc;
            try {
                rc = p.waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + cmd, e);
            }
            String out = Files.readString(log, UTF_8);
            if (rc != 0) {
                String line = String.join(" ", cmd);
                throw new IOException((line.length() > 200 ? line.substring(0, 200) + "..." : line) + " exited " + rc
                        + ": " + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Host side of {@code random_reads.py} (see {@link GuestScripts}): parses the script's output and
 * checks every read against the bytes the file should hold.
 *
 * <p>For a read of {@code length} bytes at {@code offset} in a file of {@code n} bytes, the
 * expected result is bytes {@code [offset, min(n, offset + length))}: full reads inside the file,
 * short reads across EOF, zero bytes at EOF. A read that returns fewer bytes mid-file is reported
 * as a short read (POSIX allows it, but an NFS client only does it if the server did). The file
 * sizes the guest saw ({@code st_size}) are checked too, and a missing {@code done} line means the
 * output was cut off.
 */
public final class RandomReadsVerifier {

    private static final int MAX_PROBLEMS = 50;

    private RandomReadsVerifier() {
    }

    /**
     * What the verification found.
     *
     * @param reads reads whose bytes matched
     * @param problems one line per mismatch, error or format problem, empty when all is well
     */
    public record Report(int reads, List<String> problems) {
        public Report {
            problems = List.copyOf(problems);
        }

        public boolean ok() {
            return problems.isEmpty();
        }

        public String describe() {
            return ok() ? reads + " reads matched"
                    : problems.size() + " problem(s), " + reads + " reads matched:\n  " + String.join("\n  ", problems);
        }

        /** Throws an {@link AssertionError} listing the problems unless there are none. */
        public Report assertOk() {
            if (!ok()) {
                throw new AssertionError("random reads through NFS did not return the expected bytes: " + describe());
            }
            return this;
        }
    }

    /**
     * @param output the script's stdout
     * @param expected the bytes each file (by the name passed to the script) should hold; called
     *     at most once per file
     * @param expectedReads the {@code --count} the script was given
     */
    public static Report verify(String output, Function<String, byte[]> expected, int expectedReads) {
        requireNonNull(output, "output is null");
        requireNonNull(expected, "expected is null");
        Map<String, byte[]> cache = new HashMap<>();
        Function<String, byte[]> source = name -> cache.computeIfAbsent(name, expected);
        List<String> problems = new ArrayList<>();
        int matched = 0;
        int readLines = 0;
        int errorLines = 0;
        boolean header = false;
        boolean done = false;
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                switch (f[0]) {
                    case "header" -> {
                        header = true;
                        if (!"1".equals(f[1])) {
                            problems.add("unknown output format version " + f[1]);
                        }
                    }
                    case "size" -> {
                        long seen = Long.parseLong(f[2]);
                        int want = source.apply(f[1]).length;
                        if (seen != want) {
                            problems.add(f[1] + ": guest sees size " + seen + ", expected " + want);
                        }
                    }
                    case "read" -> {
                        readLines++;
                        String problem = checkRead(f, source);
                        if (problem == null) {
                            matched++;
                        } else {
                            problems.add(problem);
                        }
                    }
                    case "error" -> {
                        if ("-1".equals(f[1])) {
                            problems.add("cannot open " + f[2] + " in the guest: " + f[5] + " " + f[6]);
                        } else {
                            errorLines++;
                            problems.add("read " + f[1] + " of " + f[2] + " at offset " + f[3]
                                    + " length " + f[4] + " failed in the guest: " + f[5] + " " + f[6]);
                        }
                    }
                    case "done" -> {
                        done = true;
                        if (Integer.parseInt(f[1]) != expectedReads) {
                            problems.add("script did " + f[1] + " reads, expected " + expectedReads);
                        }
                    }
                    default -> problems.add("unexpected output line: " + line);
                }
            } catch (RuntimeException e) {
                problems.add("cannot parse output line '" + line + "': " + e);
            }
            if (problems.size() >= MAX_PROBLEMS) {
                problems.add("(stopped after " + MAX_PROBLEMS + " problems)");
                break;
            }
        }
        if (!header) {
            problems.add("no header line: the script did not start (see the run's stderr)");
        }
        if (!done && problems.size() < MAX_PROBLEMS) {
            problems.add("no done line: output cut off after " + readLines + " reads");
        }
        if (done && readLines + errorLines != expectedReads) {
            problems.add(readLines + " read and " + errorLines + " error lines for " + expectedReads + " reads");
        }
        return new Report(matched, problems);
    }

    private static String checkRead(String[] f, Function<String, byte[]> source) {
        String name = f[2];
        long offset = Long.parseLong(f[3]);
        int length = Integer.parseInt(f[4]);
        int got = Integer.parseInt(f[5]);
        String md5 = f[6];
        byte[] file = source.apply(name);
        int from = (int) Math.min(offset, file.length);
        int to = (int) Math.min((long) file.length, offset + length);
        int want = to - from;
        String where = "read " + f[1] + " of " + name + " at offset " + offset + " length " + length;
        if (got != want) {
            return where + ": returned " + got + " bytes, expected " + want
                    + (got < want ? " (short read)" : "");
        }
        String wantMd5 = md5(file, from, want);
        if (!wantMd5.equals(md5)) {
            return where + ": wrong bytes (md5 " + md5 + ", expected " + wantMd5 + ")";
        }
        return null;
    }

    private static String md5(byte[] b, int off, int len) {
        try {
            MessageDigest d = MessageDigest.getInstance("MD5");
            d.update(b, off, len);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 missing from the JDK", e);
        }
    }
}

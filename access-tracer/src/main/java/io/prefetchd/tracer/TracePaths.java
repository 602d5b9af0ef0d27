package io.prefetchd.tracer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The layout of the traces folder: {@code <traces>/<dataset>/<job>/epoch-<n>[.part<k>].arrow}.
 *
 * <p>Dataset and job names become folder names. A name that is already safe (letters, digits, {@code _ . -},
 * not starting with a dot, at most 100 characters) is used as is. Any other name has its unsafe characters
 * replaced by {@code _}, is cut to 80 characters, and gets {@code ~} and 12 hex digits of its SHA-256 appended, so
 * two different names never share a folder ({@code ~} never occurs in a safe name) and nothing escapes the traces
 * folder. The exact names stay inside the files (the {@code dataset} and {@code job} columns). Stateless.
 */
final class TracePaths {
    static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,99}");
    static final Pattern FILE = Pattern.compile("epoch-(\\d{1,9})(?:\\.part(\\d{1,9}))?\\.arrow");
    private static final int CUT = 80;

    private TracePaths() {
    }

    static String safeName(String name) {
        if (SAFE.matcher(name).matches()) {
            return name;
        }
        StringBuilder b = new StringBuilder(Math.min(name.length(), CUT) + 13);
        for (int i = 0; i < name.length() && b.length() < CUT; i++) {
            char c = name.charAt(i);
            boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-' || (c == '.' && i > 0));
            b.append(ok ? c : '_');
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return b.append('~').append(HexFormat.of().formatHex(h, 0, 6)).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present", e);
        }
    }

    static String fileName(int epoch, int part) {
        return part <= 1 ? "epoch-" + epoch + ".arrow" : "epoch-" + epoch + ".part" + part + ".arrow";
    }

    static Path streamDir(Path tracesDir, String dataset, String job) {
        return tracesDir.resolve(safeName(dataset)).resolve(safeName(job));
    }

    /** Epoch number and part of a file name, or null if it is not an epoch file. */
    static int @Nullable [] parse(String fileName) {
        Matcher m = FILE.matcher(fileName);
        if (!m.matches()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), m.group(2) == null ? 1 : Integer.parseInt(m.group(2))};
    }

    /** The highest epoch number with a file in {@code dir}, or -1. */
    static int maxEpoch(Path dir) throws IOException {
        int max = -1;
        if (!Files.isDirectory(dir)) {
            return max;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "epoch-*.arrow")) {
            for (Path f : files) {
                int[] p = parse(f.getFileName().toString());
                if (p != null) {
                    max = Math.max(max, p[0]);
                }
            }
        }
        return max;
    }

    /** Every epoch file under {@code tracesDir}, by dataset, job, epoch, part. */
    static List<TraceFile> listFiles(Path tracesDir) throws IOException {
        List<TraceFile> out = new ArrayList<>();
        if (!Files.isDirectory(tracesDir)) {
            return out;
        }
        for (Path ds : subdirs(tracesDir)) {
            for (Path job : subdirs(ds)) {
                listStream(ds.getFileName().toString(), job, out);
            }
        }
        out.sort(ORDER);
        return out;
    }

    static List<TraceFile> listStream(String dataset, Path jobDir, List<TraceFile> out) throws IOException {
        if (!Files.isDirectory(jobDir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(jobDir, "epoch-*.arrow")) {
            for (Path f : files) {
                int[] p = parse(f.getFileName().toString());
                if (p != null && Files.isRegularFile(f)) {
                    long size;
                    try {
                        size = Files.size(f);
                    } catch (NoSuchFileException gone) {
                        continue; // deleted by retention while listing
                    }
                    out.add(new TraceFile(dataset, jobDir.getFileName().toString(), p[0], p[1], f, size));
                }
            }
        }
        out.sort(ORDER);
        return out;
    }

    static final Comparator<TraceFile> ORDER = Comparator.comparing(TraceFile::dataset)
            .thenComparing(TraceFile::job).thenComparingInt(TraceFile::epoch).thenComparingInt(TraceFile::part);

    /** Groups sorted files into epochs. */
    static List<EpochTrace> group(List<TraceFile> files) {
        Map<String, List<TraceFile>> byEpoch = new LinkedHashMap<>();
        for (TraceFile f : files) {
            byEpoch.computeIfAbsent(f.dataset() + "\n" + f.job() + "\n" + f.epoch(), k -> new ArrayList<>()).add(f);
        }
        List<EpochTrace> out = new ArrayList<>();
        for (List<TraceFile> parts : byEpoch.values()) {
            TraceFile first = parts.get(0);
            out.add(new EpochTrace(first.dataset(), first.job(), first.epoch(), parts));
        }
        return out;
    }

    /** A single file as an epoch: names from its folders, number from its name (-1 and part 1 if it has none). */
    static EpochTrace epochOfFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such trace file");
        }
        Path abs = file.toAbsolutePath();
        int[] p = parse(abs.getFileName().toString());
        Path jobDir = abs.getParent();
        Path dsDir = jobDir == null ? null : jobDir.getParent();
        String job = jobDir == null || jobDir.getFileName() == null ? "" : jobDir.getFileName().toString();
        String ds = dsDir == null || dsDir.getFileName() == null ? "" : dsDir.getFileName().toString();
        TraceFile tf = new TraceFile(ds, job, p == null ? -1 : p[0], p == null ? 1 : p[1], file, Files.size(file));
        return new EpochTrace(ds, job, tf.epoch(), List.of(tf));
    }

    private static List<Path> subdirs(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(out::add);
        }
        out.sort(Comparator.comparing(Path::toString));
        return out;
    }
}

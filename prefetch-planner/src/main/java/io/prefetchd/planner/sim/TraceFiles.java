package io.prefetchd.planner.sim;

import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dataset's extents in a CSV file, for replaying a recorded trace ({@link TraceReplay}) over the dataset's exact
 * samples: {@code sample,object,offset,length}, one line per extent, samples numbered from 0 without gaps (what
 * {@code DatasetIndex} gives for sample i). A first line starting with a letter is a header and skipped; blank
 * lines and lines starting with {@code #} too. Errors name the file and line.
 */
final class TraceFiles {
    private TraceFiles() {
    }

    static SampleExtents extents(Path extentsCsv) {
        TreeMap<Integer, List<Extent>> samples = new TreeMap<>();
        forEachLine(extentsCsv, 4, (line, f) -> {
            int sample = parseInt(f[0], extentsCsv, line, "sample");
            long offset = parseLong(f[2], extentsCsv, line, "offset");
            long length = parseLong(f[3], extentsCsv, line, "length");
            try {
                samples.computeIfAbsent(sample, k -> new ArrayList<>()).add(new Extent(f[1], offset, length));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(extentsCsv + ":" + line + ": " + e.getMessage(), e);
            }
        });
        List<List<Extent>> data = new ArrayList<>();
        for (Map.Entry<Integer, List<Extent>> e : samples.entrySet()) {
            if (e.getKey() != data.size()) {
                throw new IllegalArgumentException(extentsCsv + ": samples must be numbered 0.." + (samples.size() - 1)
                        + " without gaps; sample " + data.size() + " is missing");
            }
            data.add(e.getValue());
        }
        return SampleExtents.of(data);
    }

    private interface LineHandler {
        void accept(int line, String[] fields);
    }

    private static void forEachLine(Path file, int fields, LineHandler handler) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int line = 0;
            while ((text = r.readLine()) != null) {
                line++;
                String t = text.strip();
                if (t.isEmpty() || t.startsWith("#") || (line == 1 && Character.isLetter(t.charAt(0)))) {
                    continue;
                }
                String[] f = t.split(",", -1);
                if (f.length != fields) {
                    throw new IllegalArgumentException(file + ":" + line + ": expected " + fields
                            + " comma-separated fields, found " + f.length);
                }
                for (int i = 0; i < f.length; i++) {
                    f[i] = f[i].strip();
                }
                handler.accept(line, f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int parseInt(String s, Path file, int line, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ":" + line + ": " + what + " is not a number: '" + s + "'");
        }
    }

    private static long parseLong(String s, Path file, int line, String what) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ":" + line + ": " + what + " is not a number: '" + s + "'");
        }
    }
}

package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A recorded trace in two CSV files, until the access tracer's Arrow files can be read here.
 *
 * <ul>
 *   <li>extents: {@code sample,object,offset,length}, one line per extent, samples numbered from 0 without gaps
 *       (what {@code DatasetIndex} gives for sample i);</li>
 *   <li>reads: {@code epoch,sample}, one line per read in the order they happened (what the tracer records,
 *       mapped to sample ids).</li>
 * </ul>
 * A first line starting with a letter is a header and skipped; blank lines and lines starting with {@code #} too.
 * Errors name the file and line.
 */
final class TraceFiles {
    private TraceFiles() {
    }

    static Workload read(Path extentsCsv, Path readsCsv) {
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
        Map<Integer, List<Integer>> epochs = new LinkedHashMap<>();
        forEachLine(readsCsv, 2, (line, f) -> {
            int epoch = parseInt(f[0], readsCsv, line, "epoch");
            int sample = parseInt(f[1], readsCsv, line, "sample");
            if (sample < 0 || sample >= data.size()) {
                throw new IllegalArgumentException(readsCsv + ":" + line + ": sample " + sample
                        + " is not in " + extentsCsv + " (" + data.size() + " samples)");
            }
            epochs.computeIfAbsent(epoch, k -> new ArrayList<>()).add(sample);
        });
        List<EpochOrder> orders = new ArrayList<>();
        for (Map.Entry<Integer, List<Integer>> e : epochs.entrySet()) {
            orders.add(EpochOrder.of(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray()));
        }
        return new Workload("trace", "recorded: " + readsCsv.getFileName(), SampleExtents.of(data), orders);
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

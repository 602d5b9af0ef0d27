package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.tracer.EpochReads;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.ReadRecord;
import io.prefetchd.tracer.TraceStore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Recorded reads as the simulator replays them: the gateway's Arrow trace files, or the CSV that
 * {@code prefetchd trace export} writes from them (one format, two encodings).
 *
 * <h2>Epochs</h2>
 * One epoch of the replay is one (dataset, job, epoch) of the trace, its parts joined; epochs are replayed in the
 * order of their first read. An epoch's order is the {@code sample} of each of its reads, in the order recorded;
 * reads of no sample ({@code -1}: headers, footers, files of no dataset) are left out. This is exactly the order an
 * epoch report replays through LRU and OPT. A trace of several datasets is refused: a replay is of one dataset.
 *
 * <h2>The dataset</h2>
 * From {@code --extents} when given (the dataset's extents per sample). Otherwise taken from the trace: a sample's
 * extents are the byte ranges its reads covered, per object version, merged. A sample read whole is then exactly its
 * extents. (The gateway's cache keeps whole blocks of its grain, 128 KiB by default, cut at sample boundaries, so a
 * sample of more than one grain is one extent here and several blocks there: hit ratios agree, GET counts may not.)
 */
final class TraceReplay {
    private TraceReplay() {
    }

    /** One epoch's reads in time order: its key, when it began, and per read its sample and bytes. */
    private record EpochKey(String dataset, String job, int epoch) {
    }

    private static final class Recorded {
        final EpochKey key;
        long firstNanos = Long.MAX_VALUE;
        final List<ReadRecord> reads = new ArrayList<>();

        Recorded(EpochKey key) {
            this.key = key;
        }
    }

    /**
     * Reads {@code inputs}: {@code .arrow} files, folders (every {@code epoch-*.arrow} below, such as a state
     * folder's {@code traces/}), or {@code .csv} files written by {@code trace export}.
     *
     * @param job      only this job's epochs, or {@code null} for all
     * @param extents  the dataset's extents, or {@code null} to take them from the trace
     * @throws IllegalArgumentException naming the input, when it holds no usable reads or several datasets
     */
    static Replay read(List<Path> inputs, @Nullable String job, @Nullable SampleExtents extents) {
        Map<EpochKey, Recorded> epochs = new LinkedHashMap<>();
        for (Path input : inputs) {
            try {
                if (Files.isDirectory(input)) {
                    List<Path> files;
                    try (Stream<Path> walk = Files.walk(input)) {
                        files = walk.filter(p -> p.getFileName().toString().matches("epoch-\\d+(\\.part\\d+)?\\.arrow"))
                                .sorted(Comparator.comparing(TraceReplay::partOrder)).toList();
                    }
                    if (files.isEmpty()) {
                        throw new IllegalArgumentException(input + " holds no trace files (epoch-<n>.arrow)");
                    }
                    for (Path f : files) {
                        arrow(f, epochs);
                    }
                } else if (input.getFileName().toString().endsWith(".csv")) {
                    csv(input, epochs);
                } else {
                    arrow(input, epochs);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the trace " + input + ": " + e.getMessage(), e);
            }
        }
        List<Recorded> kept = epochs.values().stream().filter(r -> job == null || r.key.job().equals(job))
                .sorted(Comparator.comparingLong((Recorded r) -> r.firstNanos)).toList();
        TreeSet<String> datasets = new TreeSet<>();
        kept.forEach(r -> datasets.add(r.key.dataset()));
        if (datasets.size() > 1) {
            throw new IllegalArgumentException("the trace holds reads of " + datasets.size() + " datasets " + datasets
                    + ": replay one dataset's folder (traces/<dataset>) or pass --job");
        }
        return build(kept, extents, inputs);
    }

    private static String partOrder(Path p) {
        // epoch-3.arrow before epoch-3.part2.arrow: parts of one epoch in order, whatever the folder walk's order
        String name = p.getFileName().toString();
        return p.getParent() + "/" + name.replace(".arrow", "").replaceAll("\\.part(\\d+)$", "~$1");
    }

    private static void arrow(Path file, Map<EpochKey, Recorded> epochs) throws IOException {
        EpochTrace one = TraceStore.ofFile(file);
        try (EpochReads reads = TraceStore.open(file.getParent() == null ? Path.of(".") : file.getParent())
                .reads(one)) {
            while (reads.hasNext()) {
                add(reads.next(), epochs);
            }
        }
    }

    private static void add(ReadRecord r, Map<EpochKey, Recorded> epochs) {
        Recorded rec = epochs.computeIfAbsent(new EpochKey(r.dataset(), r.job(), r.epoch()), Recorded::new);
        rec.firstNanos = Math.min(rec.firstNanos, r.timeNanos());
        rec.reads.add(r);
    }

    private static Replay build(List<Recorded> recorded, @Nullable SampleExtents given, List<Path> inputs) {
        List<EpochOrder> orders = new ArrayList<>();
        List<Epoch> named = new ArrayList<>();
        long maxSample = -1;
        Map<Long, Map<String, TreeMap<Long, Long>>> ranges = new HashMap<>();
        for (Recorded r : recorded) {
            int[] order = new int[r.reads.size()];
            int n = 0;
            for (ReadRecord read : r.reads) {
                if (read.sample() < 0 || read.length() == 0) {
                    continue;
                }
                if (read.sample() > Integer.MAX_VALUE - 1) {
                    throw new IllegalArgumentException("sample " + read.sample() + " of " + r.key + " is beyond "
                            + "what the simulator takes");
                }
                order[n++] = (int) read.sample();
                maxSample = Math.max(maxSample, read.sample());
                if (given == null) {
                    ranges.computeIfAbsent(read.sample(), k -> new HashMap<>())
                            .computeIfAbsent(read.objectKey() + "@\"" + read.etag() + "\"", k -> new TreeMap<>())
                            .merge(read.offset(), read.end(), Math::max);
                }
            }
            if (n > 0) {
                orders.add(EpochOrder.of(orders.size(), java.util.Arrays.copyOf(order, n)));
                named.add(new Epoch(r.key.dataset(), r.key.job(), r.key.epoch()));
            }
        }
        if (orders.isEmpty()) {
            throw new IllegalArgumentException(inputs + " holds no read with a sample number: a trace of schema "
                    + "version 1, or of files of no indexed dataset, cannot be replayed");
        }
        SampleExtents dataset = given != null ? given : derived((int) maxSample + 1, ranges);
        String name = named.get(0).dataset();
        return new Replay(new Workload("trace", "recorded: " + name + ", " + orders.size() + " epochs", dataset,
                orders), named);
    }

    /** Per sample, the merged byte ranges its reads covered. */
    private static SampleExtents derived(int samples, Map<Long, Map<String, TreeMap<Long, Long>>> ranges) {
        List<List<Extent>> out = new ArrayList<>(samples);
        for (long s = 0; s < samples; s++) {
            List<Extent> extents = new ArrayList<>();
            Map<String, TreeMap<Long, Long>> byObject = ranges.getOrDefault(s, Map.of());
            for (Map.Entry<String, TreeMap<Long, Long>> o : new TreeMap<>(byObject).entrySet()) {
                String object = o.getKey();
                long start = -1;
                long end = -1;
                for (Map.Entry<Long, Long> e : o.getValue().entrySet()) {
                    if (start >= 0 && e.getKey() <= end) {
                        end = Math.max(end, e.getValue());
                        continue;
                    }
                    if (start >= 0) {
                        extents.add(new Extent(object, start, end - start));
                    }
                    start = e.getKey();
                    end = e.getValue();
                }
                if (start >= 0) {
                    extents.add(new Extent(object, start, end - start));
                }
            }
            out.add(extents);
        }
        return SampleExtents.of(out);
    }

    /** The CSV of {@code trace export}: RFC 4180, a header row naming the columns. */
    private static void csv(Path file, Map<EpochKey, Recorded> epochs) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            List<String> names = header == null ? List.of() : fields(header, file, 1);
            int[] col = new int[COLUMNS.size()];
            for (int i = 0; i < col.length; i++) {
                col[i] = names.indexOf(COLUMNS.get(i));
                if (col[i] < 0 && !COLUMNS.get(i).equals("sample")) {
                    throw new IllegalArgumentException(file + ": not a trace exported by 'prefetchd trace export "
                            + "--csv' (its header has no column '" + COLUMNS.get(i) + "')");
                }
            }
            String text;
            int line = 1;
            while ((text = in.readLine()) != null) {
                line++;
                if (text.isEmpty()) {
                    continue;
                }
                List<String> f = fields(text, file, line);
                if (f.size() != names.size()) {
                    throw new IllegalArgumentException(file + ":" + line + ": expected " + names.size()
                            + " fields, found " + f.size());
                }
                try {
                    add(new ReadRecord(Long.parseLong(f.get(col[0])), 0, "", f.get(col[1]), f.get(col[2]), 0,
                            Long.parseLong(f.get(col[3])), Integer.parseInt(f.get(col[4])),
                            io.prefetchd.tracer.Outcome.CACHE_HIT, 0, f.get(col[5]), f.get(col[6]),
                            Integer.parseInt(f.get(col[7])), col[8] < 0 ? -1 : Long.parseLong(f.get(col[8])), -1),
                            epochs);
                } catch (IllegalArgumentException e) { // NumberFormatException included
                    throw new IllegalArgumentException(file + ":" + line + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private static final List<String> COLUMNS = List.of("time_ns", "object_key", "etag", "byte_offset",
            "byte_length", "dataset", "job", "epoch", "sample");

    /** One CSV record's fields: quoted fields may hold commas and doubled quotes. */
    private static List<String> fields(String line, Path file, int number) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    b.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    b.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(b.toString());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException(file + ":" + number + ": unterminated quoted field");
        }
        out.add(b.toString());
        return out;
    }

    /** Which trace epoch a replayed epoch is. */
    record Epoch(String dataset, String job, int epoch) {
    }

    /**
     * The replay: the workload, and per workload epoch the trace epoch it came from.
     */
    record Replay(Workload workload, List<Epoch> epochs) {
        /** The workload index of the trace's epoch {@code epoch} (of {@code job}, if given). */
        int indexOf(int epoch, @Nullable String job) {
            int found = -1;
            for (int i = 0; i < epochs.size(); i++) {
                Epoch e = epochs.get(i);
                if (e.epoch() == epoch && (job == null || e.job().equals(job))) {
                    if (found >= 0) {
                        throw new IllegalArgumentException("jobs " + epochs.get(found).job() + " and " + e.job()
                                + " both have an epoch " + epoch + ": pass --job");
                    }
                    found = i;
                }
            }
            if (found < 0) {
                throw new IllegalArgumentException("the trace has no epoch " + epoch + (job == null ? "" : " of job "
                        + job) + "; it has " + epochs);
            }
            return found;
        }
    }
}

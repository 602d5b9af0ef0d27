package io.prefetchd.tracer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link TraceStore} over a traces folder. Listing reads only folder entries; reading opens the files. The
 * summaries are one pass over the reads with a hash map of accumulators (memory grows with distinct objects or
 * samples, not with reads). Stateless apart from the folder path, so thread-safe.
 */
final class DefaultTraceStore implements TraceStore {
    private static final Pattern EPOCH_ID = Pattern.compile("(?:epoch-)?(\\d{1,9})");

    private final Path tracesDir;

    DefaultTraceStore(Path tracesDir) {
        this.tracesDir = tracesDir;
    }

    @Override
    public Path tracesDir() {
        return tracesDir;
    }

    @Override
    public List<EpochTrace> epochs() throws IOException {
        return TracePaths.group(TracePaths.listFiles(tracesDir));
    }

    @Override
    public List<EpochTrace> epochs(String dataset, String job) throws IOException {
        String ds = TracePaths.safeName(dataset);
        Path dir = tracesDir.resolve(ds).resolve(TracePaths.safeName(job));
        return TracePaths.group(TracePaths.listStream(ds, dir, new ArrayList<>()));
    }

    @Override
    public List<EpochTrace> epochs(String dataset) throws IOException {
        String ds = TracePaths.safeName(dataset);
        Path dir = tracesDir.resolve(ds);
        List<TraceFile> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (var jobs = Files.newDirectoryStream(dir, Files::isDirectory)) {
                for (Path job : jobs) {
                    TracePaths.listStream(ds, job, files);
                }
            }
        }
        return TracePaths.group(files);
    }

    @Override
    public Optional<EpochTrace> epoch(String dataset, String job, int epoch) throws IOException {
        return epochs(dataset, job).stream().filter(e -> e.epoch() == epoch).findFirst();
    }

    @Override
    public EpochTrace resolve(String idOrPath) throws IOException {
        Path asPath = Path.of(idOrPath);
        if (idOrPath.endsWith(".arrow") && Files.isRegularFile(asPath)) {
            return TracePaths.epochOfFile(asPath);
        }
        String[] seg = idOrPath.split("/");
        if (seg.length == 3 && validSegment(seg[0]) && validSegment(seg[1])) {
            Path dir = tracesDir.resolve(seg[0]).resolve(seg[1]);
            Matcher m = EPOCH_ID.matcher(seg[2]);
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                for (EpochTrace e : TracePaths.group(TracePaths.listStream(seg[0], dir, new ArrayList<>()))) {
                    if (e.epoch() == n) {
                        return e;
                    }
                }
            } else if (TracePaths.parse(seg[2]) != null && Files.isRegularFile(dir.resolve(seg[2]))) {
                return TracePaths.epochOfFile(dir.resolve(seg[2]));
            }
        }
        // <dataset name>/<job>/<n> with the dataset's own name, which may hold '/' (imagefolder/train/run1/2)
        int jobSlash = idOrPath.lastIndexOf('/');
        int datasetSlash = jobSlash < 0 ? -1 : idOrPath.lastIndexOf('/', jobSlash - 1);
        if (datasetSlash > 0) {
            Matcher m = EPOCH_ID.matcher(idOrPath.substring(jobSlash + 1));
            String job = idOrPath.substring(datasetSlash + 1, jobSlash);
            if (m.matches() && !job.isEmpty()) {
                Optional<EpochTrace> e = epoch(idOrPath.substring(0, datasetSlash), job,
                        Integer.parseInt(m.group(1)));
                if (e.isPresent()) {
                    return e.get();
                }
            }
        }
        throw new NoSuchFileException(idOrPath, null, "no such epoch under " + tracesDir
                + " (use <dataset>/<job>/<epoch> as 'trace ls' prints it, or the path of an .arrow file)");
    }

    private static boolean validSegment(String s) {
        return !s.isEmpty() && !s.equals(".") && !s.equals("..") && s.indexOf('\\') < 0;
    }

    @Override
    public EpochReads reads(EpochTrace epoch) {
        return new PartsReader(epoch.parts());
    }

    @Override
    public List<ObjectSummary> objectSummaries(EpochTrace epoch) throws IOException {
        Map<String, Map<String, Acc>> byKey = new LinkedHashMap<>();
        List<Acc> all = new ArrayList<>();
        try (EpochReads reads = reads(epoch)) {
            while (reads.hasNext()) {
                ReadRecord r = reads.next();
                Acc a = byKey.computeIfAbsent(r.objectKey(), k -> new HashMap<>(2)).get(r.etag());
                if (a == null) {
                    a = new Acc(r.objectKey(), r.etag(), 0);
                    byKey.get(r.objectKey()).put(r.etag(), a);
                    all.add(a);
                }
                a.add(r);
            }
        }
        all.sort(Comparator.comparingLong((Acc a) -> a.first).thenComparing(a -> a.key).thenComparing(a -> a.etag));
        List<ObjectSummary> out = new ArrayList<>(all.size());
        for (Acc a : all) {
            out.add(new ObjectSummary(a.key, a.etag, a.reads, a.bytes, a.hits, a.prefetchHits, a.waits, a.waitNanos,
                    a.first, a.last));
        }
        return out;
    }

    @Override
    public List<SampleSummary> sampleSummaries(EpochTrace epoch, SampleMapper mapper) throws IOException {
        Map<Long, Acc> bySample = new HashMap<>();
        try (EpochReads reads = reads(epoch)) {
            while (reads.hasNext()) {
                ReadRecord r = reads.next();
                long sample = mapper.sampleOf(r.objectKey(), r.offset());
                if (sample < 0) {
                    continue;
                }
                bySample.computeIfAbsent(sample, s -> new Acc("", "", s)).add(r);
            }
        }
        List<Acc> all = new ArrayList<>(bySample.values());
        all.sort(Comparator.comparingLong((Acc a) -> a.first).thenComparingLong(a -> a.sample));
        List<SampleSummary> out = new ArrayList<>(all.size());
        for (Acc a : all) {
            out.add(new SampleSummary(a.sample, a.reads, a.bytes, a.hits, a.prefetchHits, a.waits, a.waitNanos,
                    a.first, a.last));
        }
        return out;
    }

    /** Running totals for one object version or one sample. */
    private static final class Acc {
        final String key;
        final String etag;
        final long sample;
        long reads;
        long bytes;
        long hits;
        long prefetchHits;
        long waits;
        long waitNanos;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;

        Acc(String key, String etag, long sample) {
            this.key = key;
            this.etag = etag;
            this.sample = sample;
        }

        void add(ReadRecord r) {
            reads++;
            bytes += r.length();
            switch (r.outcome()) {
                case CACHE_HIT -> hits++;
                case PREFETCH_HIT -> prefetchHits++;
                case S3_WAIT -> waits++;
            }
            waitNanos += r.s3WaitNanos();
            first = Math.min(first, r.timeNanos());
            last = Math.max(last, r.timeNanos());
        }
    }
}

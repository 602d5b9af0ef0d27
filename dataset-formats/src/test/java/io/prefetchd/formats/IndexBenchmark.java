package io.prefetchd.formats;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Answers the "Measure" questions of the format-index issue at 1,000,000 samples, each against a baseline
 * measured in the same run:
 *
 * <ol>
 *   <li>Heap per sample of a loaded index (goal at most 64 bytes), against a naive {@code Extent[]} per sample.
 *   <li>Time to load a persisted index (goal at most 1 s), against rebuilding it by scanning.
 *   <li>Lookup cost (sample to extents, random order), against the naive representation.
 *   <li>Bytes of metadata read to build a Parquet index, against the dataset's size.
 * </ol>
 *
 * <p>The WebDataset is 100 synthetic shards of 10,000 samples (a ~100 KB {@code .jpg} and a {@code .cls}
 * each, ~100 GB in all), generated on the fly as real tar bytes (headers from the test tar writer, data
 * regions skipped), so the scanner parses real headers without 100 GB on disk. The Parquet dataset is 10 files
 * of 100,000 rows written by parquet-mr (4 columns, parquet-mr's default page and row-group sizes, page index
 * on). Not a test: run it by hand (it prints this command):
 *
 * <pre>
 * cd /work/wt-formats && flock /tmp/prefetchd-mvn.lock mvn -B -o -q -pl dataset-formats test-compile \
 *     dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
 * java -Xmx3g -XX:+UseSerialGC -cp dataset-formats/target/test-classes:dataset-formats/target/classes:$(cat \
 *     dataset-formats/target/bench-classpath.txt) io.prefetchd.formats.IndexBenchmark
 * </pre>
 */
public final class IndexBenchmark {
    static final int SHARDS = 100;
    static final int PER_SHARD = 10_000;
    static final int LOOKUPS = 5_000_000;

    private IndexBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("prefetchd-bench");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            System.out.println("== WebDataset: " + SHARDS + " shards x " + PER_SHARD + " samples");
            SyntheticShards shards = new SyntheticShards();
            DatasetIndexer wds = DatasetIndexer.create(shards, pool, 2, Clock.systemUTC());
            measure(wds, DatasetSpec.webDataset(""), dir.resolve("wds.pfidx"));

            System.out.println();
            System.out.println("== Parquet: 10 files x 100,000 rows (parquet-mr defaults, page index)");
            Path pq = dir.resolve("parquet");
            for (int i = 0; i < 10; i++) {
                ParquetFixtures.write(pq.resolve(String.format("part-%05d.parquet", i)), i * 100_000L, 100_000,
                        Integer.MAX_VALUE, 20_000, true, CompressionCodecName.SNAPPY);
            }
            DatasetIndexer parquet = DatasetIndexer.create(RangeSource.localFolder(pq), pool, 2, Clock.systemUTC());
            measure(parquet, DatasetSpec.parquet("", List.of()), dir.resolve("pq.pfidx"));

            System.out.println();
            System.out.println("== Files: 1,000,000 objects in 1,000 class folders (listing only)");
            DatasetIndexer files = DatasetIndexer.create(new SyntheticListing(), pool, 2, Clock.systemUTC());
            measure(files, DatasetSpec.files("", FileLayout.IMAGE_FOLDER), dir.resolve("files.pfidx"));
        } finally {
            pool.shutdownNow();
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println();
        System.out.println("rerun: cd /work/wt-formats && flock /tmp/prefetchd-mvn.lock mvn -B -o -q -pl dataset-formats "
                + "test-compile dependency:build-classpath -Dmdep.includeScope=test "
                + "-Dmdep.outputFile=target/bench-classpath.txt && java -Xmx3g -XX:+UseSerialGC -cp "
                + "dataset-formats/target/test-classes:dataset-formats/target/classes:$(cat "
                + "dataset-formats/target/bench-classpath.txt) io.prefetchd.formats.IndexBenchmark");
    }

    private static void measure(DatasetIndexer indexer, DatasetSpec spec, Path file) throws Exception {
        long t0 = System.nanoTime();
        IndexBuild build = indexer.build(spec);
        double buildS = (System.nanoTime() - t0) / 1e9;
        DatasetIndex built = build.index();
        long n = built.sampleCount();
        BuildStats s = build.stats();
        System.out.printf("samples %,d  objects %,d  dataset %,d bytes  failures %d%n", n, built.objects().size(),
                built.totalBytes(), build.failures().size());
        System.out.printf("build (scan) %.2f s: %,d requests, metadata read %,d bytes = %.5f%% of the dataset"
                + " (%,d bytes requested)%n", buildS, s.requests(), s.metadataBytesRead(),
                100.0 * s.metadataBytesRead() / built.totalBytes(), s.bytesRequested());

        IndexStore.write(built, file);
        built = null;
        build = null;
        long size = Files.size(file);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t = System.nanoTime();
            IndexStore.read(file);
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
        }
        long before = usedHeap();
        DatasetIndex loaded = IndexStore.read(file);
        long after = usedHeap();
        System.out.printf("persisted %,d bytes (%.1f per sample); load best of 5 %.3f s (goal <= 1 s); "
                + "rebuild/load = %.1fx%n", size, (double) size / n, best, buildS / best);
        System.out.printf("heap per sample: measured %.1f bytes (GC delta), estimated %.1f bytes (goal <= 64)%n",
                (double) (after - before) / n, (double) loaded.estimatedMemoryBytes() / n);

        long naiveBefore = usedHeap();
        Extent[][] naive = new Extent[(int) n][];
        for (int i = 0; i < n; i++) {
            naive[i] = loaded.extents(i).toArray(new Extent[0]);
        }
        long naiveAfter = usedHeap();
        System.out.printf("baseline Extent[] per sample: %.1f bytes per sample; ours/baseline = %.2f%n",
                (double) (naiveAfter - naiveBefore) / n, (double) (after - before) / (naiveAfter - naiveBefore));

        long[] sink = new long[1];
        ExtentSink sum = (object, offset, length) -> sink[0] += length + object;
        for (int round = 0; round < 2; round++) { // first round warms up
            Random r = new Random(7);
            long t = System.nanoTime();
            for (int i = 0; i < LOOKUPS; i++) {
                loaded.forEachExtent((long) (r.nextDouble() * n), sum);
            }
            double ours = (System.nanoTime() - t) / (double) LOOKUPS;
            r = new Random(7);
            t = System.nanoTime();
            for (int i = 0; i < LOOKUPS; i++) {
                for (Extent e : naive[(int) (r.nextDouble() * n)]) {
                    sink[0] += e.length() + e.object().length();
                }
            }
            double base = (System.nanoTime() - t) / (double) LOOKUPS;
            if (round == 1) {
                Random q = new Random(7);
                long t2 = System.nanoTime();
                for (int i = 0; i < LOOKUPS / 10; i++) {
                    loaded.extents((long) (q.nextDouble() * n));
                }
                double alloc = (System.nanoTime() - t2) / (double) (LOOKUPS / 10);
                System.out.printf("lookup (random sample): forEachExtent %.0f ns, extents() %.0f ns; baseline array "
                        + "%.0f ns; forEachExtent/baseline = %.2f (checksum %d)%n", ours, alloc, base, ours / base,
                        sink[0] & 0xff);
            }
        }
        naive = null;
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    /** 1,000,000 objects in 1,000 class folders, listed but never read. */
    static final class SyntheticListing implements RangeSource {
        @Override
        public List<ObjectRef> list(String prefix) {
            List<ObjectRef> out = new ArrayList<>(1_000_000);
            for (int c = 0; c < 1000; c++) {
                for (int i = 0; i < 1000; i++) {
                    out.add(new ObjectRef(String.format("n%08d/img_%07d.JPEG", c, c * 1000 + i), 110_000 + i,
                            String.format("%032x", (long) c * 1000 + i)));
                }
            }
            return out;
        }

        @Override
        public Optional<ObjectRef> head(String key) {
            return Optional.empty();
        }

        @Override
        public byte[] read(ObjectRef object, long offset, int length) {
            throw new UnsupportedOperationException("a listing-only source");
        }

        @Override
        public InputStream stream(ObjectRef object) {
            throw new UnsupportedOperationException("a listing-only source");
        }
    }

    /**
     * Tar shards generated on the fly: per sample a {@code .jpg} of 60-140 KB and a 3-byte {@code .cls}.
     * Headers are real ustar blocks; data regions are zeros and are skipped without being produced.
     */
    static final class SyntheticShards implements RangeSource {
        private final List<ObjectRef> shards = new ArrayList<>();

        SyntheticShards() {
            for (int s = 0; s < SHARDS; s++) {
                long size = 0;
                Random r = new Random(s);
                for (int i = 0; i < PER_SHARD; i++) {
                    size += 512 + TarScanner.padded(60_000 + r.nextInt(80_000)) + 512 + 512;
                }
                shards.add(new ObjectRef(String.format("train-%06d.tar", s), size + 1024, "etag-" + s));
            }
        }

        @Override
        public List<ObjectRef> list(String prefix) {
            return shards;
        }

        @Override
        public Optional<ObjectRef> head(String key) {
            return shards.stream().filter(o -> o.key().equals(key)).findFirst();
        }

        @Override
        public byte[] read(ObjectRef object, long offset, int length) throws IOException {
            try (InputStream in = stream(object)) {
                in.skipNBytes(offset);
                return in.readNBytes(length);
            }
        }

        @Override
        public InputStream stream(ObjectRef object) {
            int shard = Integer.parseInt(object.key().substring(6, 12));
            Random r = new Random(shard);
            long[] headerAt = new long[PER_SHARD * 2];
            String[] names = new String[PER_SHARD * 2];
            long[] sizes = new long[PER_SHARD * 2];
            long at = 0;
            for (int i = 0; i < PER_SHARD; i++) {
                String key = String.format("%06d/%08d", shard, shard * PER_SHARD + i);
                int jpg = 60_000 + r.nextInt(80_000);
                headerAt[2 * i] = at;
                names[2 * i] = key + ".jpg";
                sizes[2 * i] = jpg;
                at += 512 + TarScanner.padded(jpg);
                headerAt[2 * i + 1] = at;
                names[2 * i + 1] = key + ".cls";
                sizes[2 * i + 1] = 3;
                at += 1024;
            }
            long end = object.size();
            return new InputStream() {
                long pos;
                int cached = -1;
                byte[] header;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (pos >= end) {
                        return -1;
                    }
                    int e = Arrays.binarySearch(headerAt, pos);
                    int entry = e >= 0 ? e : -e - 2;
                    long inEntry = entry < 0 ? Long.MAX_VALUE : pos - headerAt[entry];
                    int n;
                    if (entry >= 0 && inEntry < 512) {
                        if (cached != entry) {
                            header = TarFixture.headerBlock(names[entry], "", sizes[entry], '0', true, false);
                            cached = entry;
                        }
                        n = (int) Math.min(len, 512 - inEntry);
                        System.arraycopy(header, (int) inEntry, b, off, n);
                    } else {
                        long next = entry + 1 < headerAt.length ? headerAt[entry + 1] : end;
                        n = (int) Math.min(len, next - pos);
                        Arrays.fill(b, off, off + n, (byte) 0);
                    }
                    pos += n;
                    return n;
                }

                @Override
                public long skip(long n) {
                    long k = Math.max(0, Math.min(n, end - pos));
                    pos += k;
                    return k;
                }
            };
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}

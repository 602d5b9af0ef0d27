package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic workloads, seeded through the {@link Random} passed in (same seed, same trace).
 *
 * <ul>
 *   <li>{@link #randomPermutations}: one object per sample in 1,000 class folders (ImageFolder), a fresh
 *       permutation every epoch (PyTorch's {@code RandomSampler}/{@code DistributedSampler}, merged over
 *       ranks).</li>
 *   <li>{@link #webDataset}: tar shards of {@code samplesPerShard} samples, each sample a payload member and a
 *       16-byte label member behind 512-byte tar headers; shards shuffled per epoch, each read front to back.</li>
 *   <li>{@link #ranks}: the same shards split over ranks each epoch; every rank streams its own shards and the
 *       gateway sees the ranks' reads interleaved.</li>
 *   <li>{@link #parquet}: row groups as samples; a reader projects two of three columns (a small label column and
 *       the image column, skipping a metadata column between them); files shuffled per epoch, row groups in file
 *       order.</li>
 *   <li>{@link #repeated}: one fixed order every epoch (a sampler with {@code shuffle=False}).</li>
 * </ul>
 */
public final class Workloads {
    private static final int TAR_BLOCK = 512;
    private static final int LABEL_BYTES = 16;
    private static final int CLASSES = 1_000;

    private Workloads() {
    }

    public static Workload randomPermutations(int samples, long sampleBytes, int epochs, Random random) {
        checkArgs(samples, sampleBytes, epochs);
        List<List<Extent>> data = new ArrayList<>(samples);
        for (int s = 0; s < samples; s++) {
            // ImageFolder: one folder per class, so GETs spread over many S3 prefixes as in ImageNet
            data.add(List.of(new Extent(String.format("train/class-%04d/%08d.jpg", s % CLASSES, s), 0,
                    sampleBytes)));
        }
        List<EpochOrder> orders = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            orders.add(EpochOrder.of(e, permutation(samples, random)));
        }
        return new Workload("random", "file per sample, a fresh random permutation every epoch",
                SampleExtents.of(data), orders);
    }

    public static Workload repeated(int samples, long sampleBytes, int epochs, Random random) {
        checkArgs(samples, sampleBytes, epochs);
        Workload w = randomPermutations(samples, sampleBytes, 1, random);
        int[] order = w.epochs().get(0).toArray();
        List<EpochOrder> orders = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            orders.add(EpochOrder.of(e, order));
        }
        return new Workload("repeated", "file per sample, the same order every epoch", w.dataset(), orders);
    }

    public static Workload webDataset(int samples, long sampleBytes, int samplesPerShard, int epochs,
                                      Random random) {
        return ranks(samples, sampleBytes, samplesPerShard, 1, epochs, random, "webdataset",
                "tar shards of " + samplesPerShard + " samples, shards shuffled per epoch, each read in order");
    }

    public static Workload ranks(int samples, long sampleBytes, int samplesPerShard, int ranks, int epochs,
                                 Random random) {
        return ranks(samples, sampleBytes, samplesPerShard, ranks, epochs, random, "ranks",
                ranks + " ranks each streaming their share of shuffled tar shards, reads interleaved");
    }

    private static Workload ranks(int samples, long sampleBytes, int samplesPerShard, int ranks, int epochs,
                                  Random random, String name, String description) {
        checkArgs(samples, sampleBytes, epochs);
        if (samplesPerShard <= 0 || ranks <= 0) {
            throw new IllegalArgumentException("samplesPerShard and ranks must be positive");
        }
        if (sampleBytes <= LABEL_BYTES) {
            throw new IllegalArgumentException("sample size must exceed the " + LABEL_BYTES + "-byte label");
        }
        int shards = (samples + samplesPerShard - 1) / samplesPerShard;
        List<List<Extent>> data = new ArrayList<>(samples);
        for (int shard = 0; shard < shards; shard++) {
            String object = String.format("shards/shard-%06d.tar", shard);
            long offset = 0;
            for (int s = shard * samplesPerShard; s < Math.min(samples, (shard + 1) * samplesPerShard); s++) {
                long payload = sampleBytes - LABEL_BYTES;
                offset += TAR_BLOCK;
                Extent body = new Extent(object, offset, payload);
                offset += roundUp(payload);
                offset += TAR_BLOCK;
                Extent label = new Extent(object, offset, LABEL_BYTES);
                offset += roundUp(LABEL_BYTES);
                data.add(List.of(body, label));
            }
        }
        List<EpochOrder> orders = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            int[] shardOrder = permutation(shards, random);
            List<List<Integer>> perRank = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                perRank.add(new ArrayList<>());
            }
            for (int k = 0; k < shards; k++) {
                int shard = shardOrder[k];
                for (int s = shard * samplesPerShard; s < Math.min(samples, (shard + 1) * samplesPerShard); s++) {
                    perRank.get(k % ranks).add(s);
                }
            }
            orders.add(EpochOrder.of(e, interleave(perRank, samples)));
        }
        return new Workload(name, description, SampleExtents.of(data), orders);
    }

    public static Workload parquet(int rowGroups, long rowGroupReadBytes, int rowGroupsPerFile, int epochs,
                                   Random random) {
        checkArgs(rowGroups, rowGroupReadBytes, epochs);
        if (rowGroupsPerFile <= 0) {
            throw new IllegalArgumentException("rowGroupsPerFile must be positive");
        }
        long label = Math.max(1, rowGroupReadBytes / 20);
        long image = rowGroupReadBytes - label;
        long meta = Math.max(1, rowGroupReadBytes / 10);
        if (image <= 0) {
            throw new IllegalArgumentException("row group too small: " + rowGroupReadBytes);
        }
        int files = (rowGroups + rowGroupsPerFile - 1) / rowGroupsPerFile;
        List<List<Extent>> data = new ArrayList<>(rowGroups);
        for (int f = 0; f < files; f++) {
            String object = String.format("parquet/part-%05d.parquet", f);
            long offset = 4; // "PAR1"
            for (int g = f * rowGroupsPerFile; g < Math.min(rowGroups, (f + 1) * rowGroupsPerFile); g++) {
                Extent labels = new Extent(object, offset, label);
                offset += label + meta; // the metadata column is not read
                Extent images = new Extent(object, offset, image);
                offset += image;
                data.add(List.of(labels, images));
            }
        }
        List<EpochOrder> orders = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            int[] fileOrder = permutation(files, random);
            int[] order = new int[rowGroups];
            int k = 0;
            for (int f : fileOrder) {
                for (int g = f * rowGroupsPerFile; g < Math.min(rowGroups, (f + 1) * rowGroupsPerFile); g++) {
                    order[k++] = g;
                }
            }
            orders.add(EpochOrder.of(e, order));
        }
        return new Workload("parquet", "row groups of " + rowGroupsPerFile + " per file; 2 of 3 columns read; "
                + "files shuffled per epoch, row groups in order", SampleExtents.of(data), orders);
    }

    private static int[] interleave(List<List<Integer>> perRank, int total) {
        int[] out = new int[total];
        int k = 0;
        for (int step = 0; k < total; step++) {
            for (List<Integer> rank : perRank) {
                if (step < rank.size()) {
                    out[k++] = rank.get(step);
                }
            }
        }
        return out;
    }

    /** Fisher-Yates with the given generator. */
    static int[] permutation(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static long roundUp(long bytes) {
        return (bytes + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    }

    private static void checkArgs(int samples, long sampleBytes, int epochs) {
        if (samples <= 0 || sampleBytes <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("samples, sample size and epochs must be positive: " + samples + ", "
                    + sampleBytes + ", " + epochs);
        }
    }
}

package io.prefetchd.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static java.util.Objects.requireNonNull;

/**
 * A training job of {@code worldSize} ranks, one per gateway, as PyTorch's DistributedSampler splits an epoch: rank
 * {@code r} reads positions {@code r, r + worldSize, ...} of the epoch's shuffled order, with {@code readersPerRank}
 * reader threads (DataLoader workers), each over its own NFS connection to rank {@code r}'s gateway. Every sample's
 * length and CRC32C are checked. The ranks read at once; an epoch ends when the last rank has read its share. Not
 * thread-safe: one epoch at a time.
 */
final class RankedJob implements AutoCloseable {
    /** What one epoch of the whole job did. */
    record Epoch(double seconds, int samples, int samplesOk, int badBytes, int errors, long bytesRead,
                 String firstError) {
    }

    private final Dataset dataset;
    private final List<List<NfsSampleReader>> readers = new ArrayList<>();

    /** Connects {@code readersPerRank} readers to each of {@code nfsPorts} (one gateway per rank). */
    RankedJob(Dataset dataset, int[] nfsPorts, int readersPerRank) {
        this.dataset = requireNonNull(dataset, "dataset is null");
        try {
            for (int port : nfsPorts) {
                List<NfsSampleReader> rank = new ArrayList<>();
                readers.add(rank);
                for (int t = 0; t < readersPerRank; t++) {
                    rank.add(NfsSampleReader.connect(port, false));
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    int worldSize() {
        return readers.size();
    }

    /** Rank {@code rank}'s share of an epoch's {@code order}. */
    static int[] share(int[] order, int rank, int worldSize) {
        return IntStream.range(0, order.length).filter(i -> i % worldSize == rank).map(i -> order[i]).toArray();
    }

    /** Reads every rank's share of {@code order} at once and returns when all ranks are done. */
    Epoch run(int[] order) throws InterruptedException {
        List<Dataset.Sample> samples = dataset.samples();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger bad = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        String[] firstError = {""};
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int r = 0; r < readers.size(); r++) {
            int[] mine = share(order, r, readers.size());
            AtomicInteger next = new AtomicInteger();
            for (NfsSampleReader reader : readers.get(r)) {
                Thread t = new Thread(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < mine.length) {
                        Dataset.Sample s = samples.get(mine[i]);
                        try {
                            byte[] b = reader.read(s);
                            if (b.length == s.length() && Dataset.crc(b, b.length) == s.crc()) {
                                ok.incrementAndGet();
                                bytes.addAndGet(b.length);
                            } else {
                                bad.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                            synchronized (firstError) {
                                if (firstError[0].isEmpty()) {
                                    firstError[0] = s.key() + "@" + s.offset() + ": " + e;
                                }
                            }
                        }
                    }
                }, "rank-" + r + "-reader");
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Epoch(seconds, order.length, ok.get(), bad.get(), errors.get(), bytes.get(), firstError[0]);
    }

    @Override
    public void close() {
        for (List<NfsSampleReader> rank : readers) {
            for (NfsSampleReader r : rank) {
                r.close();
            }
        }
    }
}

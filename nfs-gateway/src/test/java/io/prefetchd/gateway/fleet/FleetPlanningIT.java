package io.prefetchd.gateway.fleet;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.index.ObjectStoreRangeSource;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.HintSink;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import io.prefetchd.gateway.fleet.FleetGateways.Member;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static io.prefetchd.gateway.fleet.FleetGateways.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hinted job on three nodes, each reading through its own member of a three-gateway fleet over one S3Proxy: the
 * members' planners plan for the fleet's cache and hear of each other's reads of their grains, so a warm epoch fetches
 * less from S3 than one gateway's cache alone would leave to fetch, {@code (1 − C/D)·D}.
 */
class FleetPlanningIT {
    private static final String BUCKET = "fleet-plan";
    /** Small grains: a sample spans several owners, and each member owns close to a third of any plan. */
    private static final int GRAIN = 16 * 1024;
    private static final long CACHE = 8L << 20;
    /** The dataset: about four caches of one member. */
    private static final int SAMPLES = 512;
    private static final int MEMBERS = 3;

    @TempDir
    Path dir;

    private S3ProxyFixture s3;
    private final List<ObjectVersion> objects = new ArrayList<>();
    private final List<byte[]> contents = new ArrayList<>();
    private FleetGateways gateways;
    private long datasetBytes;

    @BeforeEach
    void setUp() throws IOException {
        s3 = S3ProxyFixture.start(new TransientNio2BlobStore());
        s3.createBucket(BUCKET);
        Random random = new Random(11);
        for (int i = 0; i < SAMPLES; i++) {
            byte[] b = new byte[40_000 + random.nextInt(50_000)];
            random.nextBytes(b);
            String key = String.format("train/s%05d.bin", i);
            contents.add(b);
            objects.add(new ObjectVersion(key, s3.put(BUCKET, key, b), b.length));
            datasetBytes += b.length;
        }
        gateways = new FleetGateways(s3, BUCKET, dir, "fleet-plan-it", MEMBERS, c -> {
            c.getCache().setSize(Long.toString(CACHE));
            c.getCache().setGrain(GRAIN);
            c.getFleet().setPeerTimeout(Duration.ofSeconds(5));
        });
        for (int i = 0; i < MEMBERS; i++) {
            gateways.start(i);
        }
        awaitTrue(() -> gateways.all().stream().allMatch(m -> m.fleet().members() == MEMBERS
                && m.fleet().ownedPartitions() > 0), "three members, each with its share");
    }

    @AfterEach
    void tearDown() {
        if (gateways != null) {
            gateways.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static double s3Bytes(Member m) {
        return m.counter("prefetchd.s3.bytes");
    }

    private static long plannerCapacity(Member m) {
        return m.planner().status().get(0).plannerCapacityBytes();
    }

    private void idle() {
        for (Member m : gateways.all()) {
            try {
                m.planner().whenIdle().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("planner did not become idle", e);
            }
        }
    }

    private static int[] permutation(long seed) {
        int[] p = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            p[i] = i;
        }
        Random r = new Random(seed);
        for (int i = SAMPLES - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * One epoch of a job on three nodes: the shuffled order is split between the ranks as a distributed sampler
     * splits it (rank r reads positions r, r + 3, ...), every rank's order is published to every member (as the
     * fleet's hint map delivers it), and rank r reads its samples through member r, the ranks taking turns. Returns
     * the fleet's S3 bytes during the epoch.
     */
    private double epoch(int epoch) {
        int[] order = permutation(100 + epoch);
        int[][] ranks = new int[MEMBERS][];
        for (int r = 0; r < MEMBERS; r++) {
            int rank = r;
            ranks[r] = java.util.stream.IntStream.range(0, SAMPLES).filter(i -> i % MEMBERS == rank)
                    .map(i -> order[i]).toArray();
        }
        double before = gateways.all().stream().mapToDouble(FleetPlanningIT::s3Bytes).sum();
        for (Member m : gateways.all()) {
            for (int r = 0; r < MEMBERS; r++) {
                m.planner().publish(new HintSink.PublishedOrder("ds", "job", r, MEMBERS,
                        EpochOrder.of(epoch, ranks[r]))).join();
            }
        }
        idle();
        for (int i = 0; i < ranks[0].length; i++) {
            for (int r = 0; r < MEMBERS; r++) {
                if (i < ranks[r].length) {
                    read(gateways.get(r), ranks[r][i]);
                }
            }
            idle();
        }
        return gateways.all().stream().mapToDouble(FleetPlanningIT::s3Bytes).sum() - before;
    }

    /** Reads a sample through {@code m} as its NFS READ path does, and checks its bytes. */
    private void read(Member m, int sample) {
        ObjectVersion o = objects.get(sample);
        m.planner().beforeRead(o.key(), o.etag(), 0);
        ExtentCache.CachedRead got = m.gateway().cache().readTracked(o, 0, (int) o.size());
        m.planner().afterRead(o.key(), o.etag(), 0, got.data().length,
                got.missedBlocks() > 0 ? Math.max(1, got.waitNanos()) : 0);
        assertArrayEquals(contents.get(sample), got.data(), o.key() + " through " + m.gateway().nfsPort());
    }

    @Test
    void hintedFleet_plansForTheFleetsCache_andAWarmEpochFetchesLessThanOneCacheLeaves() throws Exception {
        DatasetIndex index = DatasetIndexer.create(new ObjectStoreRangeSource(gateways.get(0).gateway().store()),
                ForkJoinPool.commonPool(), 2, Clock.systemUTC()).build(DatasetSpec.files("train", FileLayout.SORTED))
                .index();
        assertEquals(SAMPLES, index.sampleCount());
        for (Member m : gateways.all()) {
            m.planner().addDataset("ds", index).get(30, TimeUnit.SECONDS);
        }
        idle();
        long own = PrefetchExecutor.plannable(CACHE, 0.99);
        for (Member m : gateways.all()) {   // a third of the partitions: three caches' worth each
            awaitTrue(() -> plannerCapacity(m) > 2.5 * own, "planner capacity of the fleet, not "
                    + plannerCapacity(m) + " of one member's " + own);
        }

        double cold = epoch(0);
        double warm1 = epoch(1);
        double warm2 = epoch(2);

        // what the members hold of their plans: each its share of its planner's capacity, about its own cache
        double held = 0;
        for (Member m : gateways.all()) {
            held += (double) plannerCapacity(m) * m.fleet().ownedPartitions() / 271;
        }
        double expected = datasetBytes - held;
        String figures = String.format("D %d, fleet cache held %.0f (3 x own %d), S3 bytes per epoch: cold %.0f, "
                + "warm %.0f and %.0f, expected (1 - C_fleet/D)·D = %.0f; one gateway's cache alone leaves %d",
                datasetBytes, held, 3 * own, cold, warm1, warm2, expected, datasetBytes - own);
        StringBuilder owned = new StringBuilder();
        for (Member m : gateways.all()) {
            FleetExtentCache view = (FleetExtentCache) m.fleet().cache();
            long mine = 0;
            for (ObjectVersion o : objects) {
                for (FleetExtentCache.Run r : view.runs(o, 0, (int) o.size())) {
                    mine += r.owner() == null ? r.length() : 0;
                }
            }
            owned.append(String.format(" %.3f", (double) mine / datasetBytes));
        }
        figures += "; shares of D owned:" + owned;
        System.out.println(figures);
        assertTrue(held > 2.4 * own, "the members plan for the fleet's cache: " + figures);
        // measured: warm epochs fetch 12 to 23 MB where (1 - C_fleet/D)·D is 13 MB and one cache alone leaves 25 MB
        // (docs/FLEET.md, "Not done yet"); the test holds the fleet below what one gateway's cache leaves to fetch
        for (double warm : new double[] {warm1, warm2}) {
            assertTrue(warm < datasetBytes - own, "below what a gateway planning for its own cache leaves to fetch: "
                    + figures);
        }
    }
}

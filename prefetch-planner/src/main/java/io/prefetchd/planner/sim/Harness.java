package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.Fetch;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.SampleExtents;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * Replays one workload through one {@link Planner} in simulated time and measures what it did.
 *
 * <h2>Model</h2>
 * <ul>
 *   <li><b>Reader</b>: a DataLoader with {@code readerDepth} reads outstanding. Read {@code i} is issued when read
 *       {@code i − depth} has been consumed; the GPU consumes samples in order, each for
 *       {@code bytes / readerBytesPerSecond}. An epoch is a barrier (its first reads start when the previous
 *       epoch's last sample was consumed). Stall = epoch time − compute time.</li>
 *   <li><b>Store</b>: a FIFO pipe. A GET issued at {@code t} gets its first byte at
 *       {@code max(t + latency, link free)} and its last after {@code bytes / bandwidth} more; the link is shared by
 *       every GET, so bandwidth is a hard aggregate limit and latency overlaps with other transfers. Prefetches are
 *       bounded by {@code concurrency} requests in flight (the planner is polled with the free slots); demand GETs
 *       are issued at once, ahead of the queue the executor keeps (they still share the link).</li>
 *   <li><b>Cache</b>: this class keeps the ground truth. It applies each fetch's evictions, reserves its bytes
 *       at issue, stores the extents when they land, and throws if a planner plans past capacity, evicts what is
 *       not there, fetches what is there, or leaves a read's extent unfetched. A read's bytes are a <em>hit</em>
 *       when they were already read since they were fetched (reuse), <em>prefetched</em> when they arrived ahead
 *       of their first read, and the read <em>waited</em> when any extent was still in flight or had to be
 *       fetched on demand.</li>
 * </ul>
 * Time is simulated (long nanoseconds); nothing sleeps and nothing reads a clock, so a run is a pure function of
 * its inputs.
 *
 * <p>Not thread-safe; one run per instance.
 */
final class Harness {
    private static final byte ABSENT = 0;
    private static final byte INFLIGHT = 1;
    private static final byte RESIDENT = 2;

    private final SampleExtents dataset;
    private final List<EpochOrder> epochs;
    private final SimulationConfig config;
    private final long capacity;
    private final Planner planner;
    private final boolean publishHints;

    private final Map<Extent, Integer> ids = new HashMap<>();
    private final int[][] sampleExtents;
    private final long[] sampleBytes;
    private long[] length = new long[16];
    private byte[] state;
    private boolean[] usedSinceFetch;
    private boolean[] dropOnArrival;
    private long[] arrival;
    private long used;

    private final PriorityQueue<InFlight> inflight = new PriorityQueue<>(
            (a, b) -> a.done != b.done ? Long.compare(a.done, b.done) : Long.compare(a.seq, b.seq));
    private long seq;
    private long linkFreeAt;
    private final long latencyNanos;

    private boolean measuring;
    private final Stats stats = new Stats();

    private record InFlight(long fetchId, long seq, long done, int[] extents, boolean cache, boolean demand) {
    }

    static final class Stats {
        long reads;
        long waitedReads;
        long readBytes;
        long hitBytes;
        long prefetchedBytes;
        long s3Bytes;
        long requests;
        long demandRequests;
        long wasteBytes;
        long unusedPrefetchBytes;
        long readWaitNanos;
        long epochNanos;
        long computeNanos;
        int epochs;
        long maxUsed;
    }

    Harness(SampleExtents dataset, List<EpochOrder> epochs, SimulationConfig config, long capacity, Planner planner,
            boolean publishHints) {
        this.dataset = dataset;
        this.epochs = epochs;
        this.config = config;
        this.capacity = capacity;
        this.planner = planner;
        this.publishHints = publishHints;
        this.latencyNanos = config.latency().toNanos();
        int n = dataset.sampleCount();
        sampleExtents = new int[n][];
        sampleBytes = new long[n];
        for (int s = 0; s < n; s++) {
            List<Extent> list = dataset.extentsOf(s);
            int[] a = new int[list.size()];
            int k = 0;
            for (Extent e : list) {
                int id = idOf(e);
                if (!contains(a, k, id)) {
                    a[k++] = id;
                    sampleBytes[s] += e.length();
                }
            }
            sampleExtents[s] = Arrays.copyOf(a, k);
        }
        int m = ids.size();
        state = new byte[m];
        usedSinceFetch = new boolean[m];
        dropOnArrival = new boolean[m];
        arrival = new long[m];
        length = Arrays.copyOf(length, m);
    }

    private int idOf(Extent e) {
        Integer id = ids.get(e);
        if (id == null) {
            id = ids.size();
            ids.put(e, id);
            if (id >= length.length) {
                length = Arrays.copyOf(length, length.length * 2);
            }
            length[id] = e.length();
        }
        return id;
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    Stats run() {
        int depth = config.readerDepth();
        int lead = config.hintLeadEpochs();
        long t = 0;
        if (publishHints) {
            for (int e = 0; e <= Math.min(lead, epochs.size() - 1); e++) {
                planner.publish(epochs.get(e));
            }
        }
        long[] ring = new long[depth];
        for (int e = 0; e < epochs.size(); e++) {
            if (publishHints && e > 0 && e + lead < epochs.size()) {
                planner.publish(epochs.get(e + lead));
            }
            measuring = e >= config.warmupEpochs();
            advance(t);
            planner.onEpochStart(epochs.get(e).epoch(), t);
            long epochStart = t;
            long compute = 0;
            Arrays.fill(ring, t);
            long lastIssue = t;
            long previousEnd = t;
            EpochOrder order = epochs.get(e);
            for (int i = 0; i < order.size(); i++) {
                long issue = Math.max(lastIssue, ring[i % depth]);
                advance(issue);
                poll(issue);
                int sample = order.sampleAt(i);
                long ready = read(sample, issue);
                poll(issue);
                long computeNanos = (long) Math.ceil(sampleBytes[sample] * 1e9 / config.readerBytesPerSecond());
                compute += computeNanos;
                long start = Math.max(ready, previousEnd);
                previousEnd = start + computeNanos;
                ring[i % depth] = previousEnd;
                lastIssue = issue;
            }
            t = previousEnd;
            if (measuring) {
                stats.epochs++;
                stats.epochNanos += t - epochStart;
                stats.computeNanos += compute;
            }
        }
        return stats;
    }

    /** One read: classify its extents, issue the planner's demand fetches; returns when the data is ready. */
    private long read(int sample, long now) {
        List<Fetch> demand = planner.onRead(sample, now);
        long ready = now;
        boolean waited = false;
        int[] extents = sampleExtents[sample];
        boolean[] absent = new boolean[extents.length];
        for (int k = 0; k < extents.length; k++) {
            int id = extents[k];
            long len = length[id];
            if (state[id] == RESIDENT) {
                if (measuring) {
                    if (usedSinceFetch[id]) {
                        stats.hitBytes += len;
                    } else {
                        stats.prefetchedBytes += len;
                    }
                }
                usedSinceFetch[id] = true;
            } else if (state[id] == INFLIGHT) {
                ready = Math.max(ready, arrival[id]);
                waited = true;
                usedSinceFetch[id] = true; // it is read the moment it lands
            } else {
                absent[k] = true;
            }
        }
        for (Fetch f : demand) {
            issue(f, now);
        }
        for (int k = 0; k < extents.length; k++) {
            if (!absent[k]) {
                continue;
            }
            int id = extents[k];
            if (state[id] != INFLIGHT) {
                throw new IllegalStateException("the planner left " + extentOf(id) + " of sample " + sample
                        + " unfetched at a read");
            }
            ready = Math.max(ready, arrival[id]);
            waited = true;
            usedSinceFetch[id] = true;
        }
        if (measuring) {
            stats.reads++;
            stats.readBytes += sampleBytes[sample];
            if (waited && ready > now) {
                stats.waitedReads++;
                stats.readWaitNanos += ready - now;
            }
        }
        return ready;
    }

    private void poll(long now) {
        int free = config.concurrency() - inflight.size();
        if (free <= 0) {
            return;
        }
        List<Fetch> fetches = planner.poll(now, free);
        if (fetches.size() > free) {
            throw new IllegalStateException("the planner returned " + fetches.size() + " prefetches for " + free
                    + " free slots");
        }
        for (Fetch f : fetches) {
            if (f.demand()) {
                throw new IllegalStateException("poll returned a demand fetch: " + f);
            }
            issue(f, now);
        }
    }

    private void issue(Fetch f, long now) {
        for (Extent v : f.evictFirst()) {
            Integer id = ids.get(v);
            if (id == null || state[id] == ABSENT || dropOnArrival[id]) {
                throw new IllegalStateException("fetch " + f.id() + " evicts " + v + ", which is not cached");
            }
            if (state[id] == RESIDENT) {
                state[id] = ABSENT;
                if (measuring && !usedSinceFetch[id]) {
                    stats.unusedPrefetchBytes += length[id];
                }
            } else {
                dropOnArrival[id] = true; // a demand-only baseline evicting what it admitted a moment ago
            }
            used -= length[id];
        }
        int[] extents = new int[f.extents().size()];
        for (int k = 0; k < extents.length; k++) {
            Extent x = f.extents().get(k);
            Integer id = ids.get(x);
            if (id == null) {
                throw new IllegalStateException("fetch " + f.id() + " names " + x + ", which no sample reads");
            }
            if (state[id] != ABSENT) {
                throw new IllegalStateException("fetch " + f.id() + " fetches " + x + ", which is already "
                        + (state[id] == RESIDENT ? "cached" : "in flight"));
            }
            extents[k] = id;
            if (f.cache()) {
                used += length[id];
            }
        }
        if (used > capacity) {
            throw new IllegalStateException("fetch " + f.id() + " plans past capacity: " + used + " > " + capacity);
        }
        stats.maxUsed = Math.max(stats.maxUsed, used);
        long firstByte = Math.max(now + latencyNanos, linkFreeAt);
        long done = firstByte + (long) Math.ceil(f.length() * 1e9 / config.bandwidthBytesPerSecond());
        linkFreeAt = done;
        for (int id : extents) {
            state[id] = INFLIGHT;
            arrival[id] = done;
            usedSinceFetch[id] = false;
            dropOnArrival[id] = !f.cache();
        }
        inflight.add(new InFlight(f.id(), seq++, done, extents, f.cache(), f.demand()));
        if (measuring) {
            stats.s3Bytes += f.length();
            stats.requests++;
            stats.wasteBytes += f.wasteBytes();
            if (f.demand()) {
                stats.demandRequests++;
            }
        }
    }

    /** Lands every fetch due by {@code until}, in time order, polling the planner at each landing. */
    private void advance(long until) {
        while (!inflight.isEmpty() && inflight.peek().done <= until) {
            InFlight f = inflight.poll();
            for (int id : f.extents) {
                if (state[id] != INFLIGHT) {
                    continue;
                }
                if (dropOnArrival[id]) {
                    state[id] = ABSENT;
                    dropOnArrival[id] = false;
                } else {
                    state[id] = RESIDENT;
                }
            }
            planner.onFetchCompleted(f.fetchId, f.done);
            poll(f.done);
        }
    }

    private @Nullable Extent extentOf(int id) {
        for (Map.Entry<Extent, Integer> e : ids.entrySet()) {
            if (e.getValue() == id) {
                return e.getKey();
            }
        }
        return null;
    }
}

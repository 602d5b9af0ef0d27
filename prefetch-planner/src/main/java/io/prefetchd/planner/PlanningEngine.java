package io.prefetchd.planner;

import io.prefetchd.formats.IntArrays;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The planner: a stable pinned set plus a Little's-law lookahead window, fed by a known or learned future.
 *
 * <h2>Why this shape</h2>
 * Under a fresh random permutation per epoch every sample is read once per epoch, so a read can only hit if its
 * sample was cached at the epoch boundary: no policy (Belady's OPT included) hits more than
 * {@code c = capacity / dataset}, and at least {@code (1 − c)·D} bytes come from S3 every epoch
 * (the sample of each miss was not cached when the epoch began). Knowing the order does not raise the hit ratio; it lets those misses be
 * fetched <em>before</em> they are read. So the cache is split in two:
 * <ol>
 *   <li><b>Pinned set</b> of {@code P = capacity − W} bytes: the first bytes read are pinned and kept across
 *       epochs. That reaches OPT's bound (minus the window) where LRU, which keeps churning its contents, gets
 *       {@code c + (1 − c)·ln(1 − c) ≈ c²/2}.</li>
 *   <li><b>Lookahead window</b> of {@code W} bytes for misses fetched ahead of need. By Little's law the bytes in
 *       the window are the miss rate times how far ahead they are fetched; fetching {@code margin × (latency +
 *       one request's transfer)} ahead keeps reads from waiting:
 *       {@code W = (1 − c) × readBytesPerSecond × margin × (latency + transfer)}, clamped to
 *       {@code [minWindow, maxWindowFraction × capacity]}. The window is a small slice of the cache (12 MB of a 1 GB
 *       cache for a 200 MB/s reader at 40 ms), which is why S3 bytes stay within 2% of {@code (1 − c)·D}.</li>
 * </ol>
 * Everything else is <b>transient</b>: read and not pinned, kept while the space is free, evicted farthest next use
 * first (Belady), not-needed-in-the-known-future first, least recently used among those. A byte is never evicted
 * to admit a byte needed later than it ({@link CacheLedger#victims}).
 *
 * <h2>Where the future comes from</h2>
 * <ul>
 *   <li><b>Hints</b> ({@link #publish}): the job's sampler publishes each epoch's order, ideally one epoch ahead, so
 *       the window runs across the boundary and the next epoch's first misses are already there when it starts.
 *       Prefetches are issued in order of need from a frontier that only moves forward; extents of one object
 *       that are needed within the lookahead horizon and lie within {@code maxGap} of each other become one GET
 *       (bounded waste, bounded size); a token bucket per key prefix caps the request rate.</li>
 *   <li><b>Learned</b> ({@code learning = true}), for jobs that publish nothing: an epoch that repeats the
 *       previous one's order is detected after a few reads ({@link ReplayDetector}) and replayed as if it were a
 *       hint; sequential streams inside objects get read-ahead with a growing window ({@link StreamTable}); and
 *       plain random sampling gets the pinned set alone, which is what it needs (hit ratio ≈ c).</li>
 * </ul>
 *
 * <h2>Positions and time</h2>
 * Reads are matched to positions of the known future within {@code readSlack} positions either way (DataLoader
 * workers reorder reads a little); a read that matches nothing is served but moves nothing. Deadlines are
 * {@code now + (position − cursor) / readRate}, the read rate measured from the reads themselves (the config's
 * rate is the prior). The window is sized from the larger of the measured and the expected rate (a reader that
 * waits on S3 reads slower than it will once it stops waiting) and re-sized at epoch starts only, with 25%
 * hysteresis, so the pinned set does not shrink and grow back (which costs S3 bytes) because one epoch ran a bit
 * faster.
 *
 * <p><b>Thread-safety:</b> none; one executor thread (or lock) drives it, like every {@link Planner}.
 */
final class PlanningEngine implements Planner {
    private static final long NEVER = KnownFuture.NEVER;
    private static final int RATE_SAMPLE_READS = 64;
    private static final int STREAM_SLOTS = 32;
    private static final int REPLAY_THRESHOLD = 32;

    private final ExtentTable table;
    private final PlannerConfig config;
    private final boolean learning;
    private final KnownFuture future;
    private final CacheLedger ledger;
    private final double averageReadBytes;
    private StoreModel store;

    private long cursor;
    private long frontier;
    private long accessClock;
    private long bytesRead;
    private boolean pinning = true;
    private int currentEpoch = -1;
    private boolean hinted;
    private boolean replayActive;

    private double readsPerSecond;
    private long rateMarkNanos = Long.MIN_VALUE;
    private long readsSinceMark;

    private long windowBudget;
    private long pinnedTarget;
    private long horizonPositions;
    private long maxRangeBytes;

    private final Map<Long, int[]> inflight = new LinkedHashMap<>();
    private long nextFetchId = 1;
    private final ArrayDeque<Integer> windowQueue = new ArrayDeque<>();
    private final Map<String, double[]> buckets = new HashMap<>();

    /** Null unless learning. */
    private final @Nullable ReplayDetector replay;
    private final @Nullable StreamTable streams;
    private final StreamTable.Stream[] evictedStream = new StreamTable.Stream[1];

    PlanningEngine(ExtentTable table, PlannerConfig config, boolean learning, Collection<Extent> resident) {
        this.table = requireNonNull(table, "table is null");
        this.config = requireNonNull(config, "config is null");
        this.learning = learning;
        this.store = config.store();
        this.future = new KnownFuture(table.sampleCount());
        this.ledger = new CacheLedger(table, config.capacityBytes());
        this.averageReadBytes = table.sampleCount() == 0 ? 1
                : Math.max(1.0, (double) table.readBytes() / table.sampleCount());
        this.readsPerSecond = config.expectedReadBytesPerSecond() / averageReadBytes;
        resize(true);
        this.replay = learning ? new ReplayDetector(table.sampleCount(), REPLAY_THRESHOLD, config.readSlack()) : null;
        this.streams = learning ? new StreamTable(table, STREAM_SLOTS, Math.max(256 << 10, config.maxGapBytes()),
                streamReadAheadCap(), config.maxGapBytes()) : null;
        adopt(requireNonNull(resident, "resident is null"));
    }

    // ------------------------------------------------------------------ sizing

    private void resize(boolean force) {
        double latency = store.firstByteLatency().toNanos() / 1e9;
        double transfer = averageReadBytes / store.bytesPerSecond();
        double lead = config.safetyMargin() * (latency + transfer);
        double missFraction = table.datasetBytes() == 0 ? 0
                : Math.max(0, 1.0 - (double) ledger.capacity / table.datasetBytes());
        // a reader that waits reads slower than it would if it did not: never size the window below the prior
        double rate = Math.max(readsPerSecond, config.expectedReadBytesPerSecond() / averageReadBytes);
        double readBytesPerSecond = rate * averageReadBytes;
        long w = (long) Math.ceil(missFraction * readBytesPerSecond * lead);
        w = Math.max(w, config.minWindowBytes());
        w = Math.min(w, (long) (config.maxWindowFraction() * ledger.capacity));
        if (force || Math.abs(w - windowBudget) > 0.25 * windowBudget) {
            windowBudget = w;
            pinnedTarget = ledger.capacity - w;
            maxRangeBytes = Math.max(1, Math.min(config.maxRequestBytes(), w / 8));
        }
        horizonPositions = (long) Math.ceil(lead * rate) + 1;
        if (streams != null) {
            streams.setMaxReadAhead(streamReadAheadCap());
        }
    }

    /**
     * Read-ahead is measured in object bytes ahead of the reader, resident ones included; the window budget bounds
     * what is actually fetched, so the span may be a few windows wide (half the span may already be pinned).
     */
    private long streamReadAheadCap() {
        return Math.max(1 << 20, 4 * windowBudget);
    }

    private void unpinExcess() {
        if (ledger.pinned <= pinnedTarget) {
            return;
        }
        int count = 0;
        int[] pinnedIds = new int[16];
        for (int id = 0; id < table.extentCount(); id++) {
            if (ledger.role[id] == CacheLedger.PINNED && ledger.state[id] == CacheLedger.RESIDENT) {
                if (count == pinnedIds.length) {
                    pinnedIds = Arrays.copyOf(pinnedIds, count * 2);
                }
                pinnedIds[count++] = id;
            }
        }
        int[] ids = Arrays.copyOf(pinnedIds, count);
        long[] next = new long[count]; // by position in ids: nothing sized to the dataset
        int[] order = new int[count];
        for (int k = 0; k < count; k++) {
            next[k] = nextUseOfExtent(ids[k]);
            order[k] = k;
        }
        IntArrays.mergeSort(order, (a, b) -> next[a] != next[b] ? Long.compare(next[b], next[a])
                : Long.compare(ledger.lastAccess(ids[a]), ledger.lastAccess(ids[b])));
        for (int k : order) {
            if (ledger.pinned <= pinnedTarget) {
                break;
            }
            ledger.setRole(ids[k], CacheLedger.TRANSIENT);
            ledger.rekey(ids[k], next[k], ledger.lastAccess(ids[k]));
        }
    }

    private void adopt(Collection<Extent> resident) {
        long bytes = 0;
        for (Extent e : resident) {
            int id = table.idOf(e);
            if (id < 0 || ledger.state[id] != CacheLedger.ABSENT) {
                continue; // not part of this dataset: the cache's business, not ours
            }
            bytes += e.length();
            if (bytes > config.capacityBytes()) {
                throw new IllegalArgumentException("resident extents exceed the capacity of "
                        + config.capacityBytes() + " bytes at " + e);
            }
            ledger.reserve(id, CacheLedger.TRANSIENT);
            ledger.arrive(id);
            ledger.rekey(id, NEVER, 0);
        }
    }

    /** Pins residents up to the pinned target, soonest needed first (call after the future is published). */
    void pinResidents() {
        List<Integer> evictables = ledger.evictables();
        int[] ids = new int[evictables.size()];
        long[] next = new long[ids.length]; // by position in ids: nothing sized to the dataset
        int[] order = new int[ids.length];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = evictables.get(k);
            next[k] = nextUseOfExtent(ids[k]);
            order[k] = k;
        }
        IntArrays.mergeSort(order, (a, b) -> next[a] != next[b] ? Long.compare(next[a], next[b])
                : Integer.compare(ids[a], ids[b]));
        for (int k : order) {
            int id = ids[k];
            if (ledger.pinned + table.length(id) <= pinnedTarget) {
                ledger.setRole(id, CacheLedger.PINNED);
            } else {
                ledger.rekey(id, next[k], ledger.lastAccess(id));
            }
        }
    }

    /** Seeds the replay detector with an epoch observed earlier. */
    void learn(EpochOrder order) {
        if (replay == null) {
            throw new IllegalStateException("only a learning planner takes history");
        }
        for (int s : order.unsafeArray()) {
            table.checkSample(s);
        }
        replay.learn(order);
    }

    /** Moves the cursor to {@code position} of the known future as if everything before had been read. */
    void skipTo(long position) {
        for (long p = cursor; p < position; p++) {
            future.markRead(p);
        }
        cursor = Math.max(cursor, position);
        frontier = Math.max(frontier, cursor);
        rekeyAll();
    }

    // ------------------------------------------------------------------ events

    @Override
    public void publish(EpochOrder order) {
        requireNonNull(order, "order is null");
        int[] samples = order.unsafeArray();
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] >= table.sampleCount()) {
                throw new IllegalArgumentException("the order of epoch " + order.epoch() + " names sample "
                        + samples[i] + " at position " + i + ", but the dataset has " + table.sampleCount()
                        + " samples");
            }
        }
        if (currentEpoch >= 0 && order.epoch() < currentEpoch) {
            return; // an epoch that is over
        }
        if (replayActive) {
            dropPrediction();
        }
        hinted = true;
        boolean replacesKnown = order.epoch() >= future.firstEpoch() && order.epoch() <= future.lastEpoch();
        if (future.isEmpty() && currentEpoch >= 0 && order.epoch() > currentEpoch) {
            // the reader is in an epoch we know nothing about: place this one when it starts
            future.hold(order);
            return;
        }
        boolean changed = future.put(order, cursor);
        if (changed) {
            if (replacesKnown) {
                releaseWindow();
                frontier = cursor;
            }
            rekeyAll();
        }
        check();
    }

    @Override
    public void onEpochStart(int epoch, long nowNanos) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch is negative: " + epoch);
        }
        if (replay != null) {
            replay.epochEnded();
            if (replayActive) {
                dropPrediction();
            }
        }
        currentEpoch = epoch;
        if (future.rebase(epoch, cursor)) {
            releaseWindow();
            frontier = cursor;
            rekeyAll();
        }
        if (replay != null && !hinted) {
            EpochOrder whole = replay.predictWholeEpoch(epoch);
            if (whole != null) {
                installPrediction(whole);
            }
        }
        resize(false);
        unpinExcess();
        check();
    }

    @Override
    public void restart() {
        dropPrediction();   // forgets the known future, learned or published alike
        currentEpoch = -1;
        hinted = false;
        check();
    }

    @Override
    public List<Fetch> onRead(int sample, long nowNanos) {
        table.checkSample(sample);
        observeRate(nowNanos);
        long position = future.isEmpty() ? -1
                : future.match(sample, cursor - config.readSlack(), cursor + config.readSlack());
        if (position >= 0) {
            if (position >= cursor) {
                cursor = position + 1;
            }
            future.dropBefore(cursor - config.readSlack());
            if (frontier < cursor) {
                frontier = cursor;
            }
        } else if (replayActive) {
            dropPrediction(); // the epoch stopped repeating the last one
        } else if (future.isEmpty()) {
            cursor++;
            frontier = cursor;
        }
        if (replay != null && !hinted) {
            int from = replay.observe(sample);
            if (from >= 0 && !replayActive) {
                EpochOrder rest = replay.predictFrom(from, Math.max(0, currentEpoch));
                if (rest != null && rest.size() > 0) {
                    installPrediction(rest);
                }
            }
        }
        releaseStaleWindow();
        long access = ++accessClock;
        bytesRead += table.sampleBytes(sample);
        int[] missing = new int[table.extentsEnd(sample) - table.extentsStart(sample)];
        int nMissing = 0;
        for (int i = table.extentsStart(sample); i < table.extentsEnd(sample); i++) {
            int e = table.extentAt(i);
            if (ledger.state[e] == CacheLedger.ABSENT) {
                if (!contains(missing, nMissing, e)) {
                    missing[nMissing++] = e;
                }
            } else {
                consumed(e, access);
            }
            // byte-contiguous extents of one sample (the cache blocks one tar member spans) are one access, not a
            // stream: observing each would make every multi-block sample look sequential and start read-ahead
            boolean continues = i + 1 < table.extentsEnd(sample) && table.next(e) == table.extentAt(i + 1)
                    && table.end(e) == table.offset(table.extentAt(i + 1));
            if (streams != null && !continues) {
                followStream(e, nowNanos);
            }
        }
        int[] shield = new int[table.extentsEnd(sample) - table.extentsStart(sample)];
        for (int i = table.extentsStart(sample); i < table.extentsEnd(sample); i++) {
            shield[i - table.extentsStart(sample)] = table.extentAt(i);
        }
        ledger.shield(shield);
        List<Fetch> out;
        try {
            out = demand(Arrays.copyOf(missing, nMissing), nowNanos, access);
        } finally {
            ledger.unshield();
        }
        check();
        return out;
    }

    @Override
    public List<Fetch> poll(long nowNanos, int maxRequests) {
        List<Fetch> out = new ArrayList<>();
        while (out.size() < maxRequests) {
            int futureExtent = futureCandidate();
            long futureDeadline = futureExtent < 0 ? NEVER : deadline(nowNanos, frontier);
            StreamTable.@Nullable Stream stream = null;
            int streamExtent = -1;
            long streamDeadline = NEVER;
            if (streams != null && (future.isEmpty() || cursor >= future.end())) {
                for (StreamTable.Stream s : streams.slots()) {
                    int e = streamCandidate(s);
                    if (e >= 0) {
                        long d = streamDeadline(nowNanos, s, e);
                        if (d < streamDeadline) {
                            streamDeadline = d;
                            stream = s;
                            streamExtent = e;
                        }
                    }
                }
            }
            Fetch f;
            if (futureExtent >= 0 && futureDeadline <= streamDeadline) {
                f = prefetchFromFuture(futureExtent, futureDeadline, nowNanos);
            } else if (streamExtent >= 0) {
                f = prefetchFromStream(requireNonNull(stream, "a stream candidate has its stream"), streamExtent,
                        streamDeadline, nowNanos);
            } else {
                break;
            }
            if (f == null) {
                break;
            }
            out.add(f);
        }
        check();
        return out;
    }

    @Override
    public List<Extent> resize(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes is negative: " + capacityBytes);
        }
        ledger.capacity = capacityBytes;
        resize(true);
        unpinExcess();
        List<Extent> out = new ArrayList<>();
        for (int id : ledger.evictables()) { // read already: farthest next use first
            if (ledger.used <= capacityBytes) {
                break;
            }
            ledger.drop(id);
            out.add(table.extent(id));
        }
        if (ledger.used > capacityBytes) { // prefetched, not read yet: dropped now, planned again when there is room
            for (int id : new ArrayList<>(windowQueue)) {
                if (ledger.used <= capacityBytes) {
                    break;
                }
                if (ledger.role[id] == CacheLedger.WINDOW && ledger.state[id] == CacheLedger.RESIDENT) {
                    ledger.drop(id);
                    out.add(table.extent(id));
                }
            }
            frontier = cursor;
        }
        ledger.capacity = Math.max(capacityBytes, ledger.used); // bytes in flight hold it up until they land
        check();
        return out;
    }

    @Override
    public long capacityBytes() {
        return ledger.capacity;
    }

    @Override
    public void onFetchCompleted(long fetchId, long nowNanos) {
        int[] ids = inflight.remove(fetchId);
        if (ids == null) {
            return;
        }
        for (int e : ids) {
            if (ledger.state[e] == CacheLedger.INFLIGHT) {
                ledger.arrive(e);
            }
        }
        check();
    }

    @Override
    public void onFetchFailed(long fetchId, long nowNanos) {
        int[] ids = inflight.remove(fetchId);
        if (ids == null) {
            return;
        }
        for (int e : ids) {
            if (ledger.state[e] == CacheLedger.INFLIGHT) {
                ledger.drop(e);
                replan(e);
            }
        }
        check();
    }

    @Override
    public void onEvicted(Extent extent) {
        int id = table.idOf(requireNonNull(extent, "extent is null"));
        if (id < 0 || ledger.state[id] != CacheLedger.RESIDENT) {
            return;
        }
        ledger.drop(id);
        replan(id);
        check();
    }

    @Override
    public void updateStoreModel(StoreModel model) {
        this.store = requireNonNull(model, "model is null");
    }

    // ------------------------------------------------------------------ reads

    private void observeRate(long now) {
        if (rateMarkNanos == Long.MIN_VALUE) {
            rateMarkNanos = now;
            return;
        }
        if (++readsSinceMark >= RATE_SAMPLE_READS && now > rateMarkNanos) {
            double rate = readsSinceMark * 1e9 / (now - rateMarkNanos);
            readsPerSecond = 0.7 * readsPerSecond + 0.3 * rate;
            rateMarkNanos = now;
            readsSinceMark = 0;
        }
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a just-read extent joins the pinned set. The set fills to {@code pinnedTarget}, but spread evenly
     * over the reads: after {@code b} bytes read, about {@code b × pinnedTarget / D} are pinned. A hysteresis band
     * of half a GET either side makes the pattern runs (pin a few MB, skip a few MB) rather than every other read,
     * so the misses of one shard still coalesce into large GETs, while each run of misses stays well inside
     * what the window absorbs. Pinning simply the first bytes read would pin whole shards (WebDataset), whole files (Parquet) or
     * the first half of a fixed order, and the next epoch would then alternate runs of all hits with runs of all
     * misses that ask S3 for twice the average rate. Spread, hits and misses interleave inside every shard and
     * the miss stream is as smooth as the average.
     */
    private boolean pinRoom(long bytes) {
        if (ledger.pinned + bytes > pinnedTarget) {
            return false;
        }
        if (table.datasetBytes() == 0) {
            return true;
        }
        double line = (double) pinnedTarget / table.datasetBytes() * bytesRead;
        double band = Math.max(averageReadBytes, maxRangeBytes / 2.0);
        if (pinning && ledger.pinned + bytes > line + band) {
            pinning = false;
        } else if (!pinning && ledger.pinned + bytes <= line - band) {
            pinning = true;
        }
        return pinning;
    }

    /** A present extent was read: prefetched bytes leave the window and join the pinned set or the transients. */
    private void consumed(int e, long access) {
        byte role = ledger.role[e];
        if (role == CacheLedger.WINDOW || role == CacheLedger.TRANSIENT) {
            if (pinRoom(table.length(e))) {
                ledger.setRole(e, CacheLedger.PINNED);
            } else {
                ledger.setRole(e, CacheLedger.TRANSIENT);
            }
        }
        ledger.rekey(e, ledger.role[e] == CacheLedger.TRANSIENT ? nextUseOfExtent(e) : ledger.key(e), access);
    }

    /** Demand fetches for a read's missing extents: pinned if the stable set has room, kept if worth it, or not. */
    private List<Fetch> demand(int[] missing, long now, long access) {
        if (missing.length == 0) {
            return List.of();
        }
        Integer[] order = new Integer[missing.length];
        for (int i = 0; i < missing.length; i++) {
            order[i] = missing[i];
        }
        Arrays.sort(order, (a, b) -> table.objectOf(a) != table.objectOf(b)
                ? Integer.compare(table.objectOf(a), table.objectOf(b)) : Long.compare(table.offset(a), table.offset(b)));
        List<Fetch> out = new ArrayList<>();
        int i = 0;
        while (i < order.length) {
            int j = i + 1;
            long useful = table.length(order[i]);
            long waste = 0;
            while (j < order.length && table.next(order[j - 1]) == order[j]) {
                long gap = table.offset(order[j]) - table.end(order[j - 1]);
                if (gap > config.maxGapBytes() || waste + gap > config.maxWasteFraction() * (useful + table.length(order[j]))
                        || useful + waste + gap + table.length(order[j]) > Math.max(config.maxRequestBytes(), useful)) {
                    break;
                }
                waste += gap;
                useful += table.length(order[j]);
                j++;
            }
            int[] ids = new int[j - i];
            long latestNeed = -1;
            for (int k = i; k < j; k++) {
                ids[k - i] = order[k];
                latestNeed = Math.max(latestNeed, nextUseOfExtent(order[k]));
            }
            byte role;
            List<Integer> victims = ledger.victims(useful, latestNeed);
            if (victims != null && pinRoom(useful)) {
                role = CacheLedger.PINNED;
            } else if (victims != null) {
                role = CacheLedger.TRANSIENT;
            } else {
                role = CacheLedger.BYPASS;
                victims = List.of();
            }
            List<Extent> evict = evict(victims);
            for (int id : ids) {
                ledger.reserve(id, role);
                if (role == CacheLedger.TRANSIENT) {
                    ledger.rekey(id, nextUseOfExtent(id), access);
                } else {
                    ledger.setLastAccess(id, access);
                }
            }
            take(table.prefixOf(ids[0]), now, true);
            out.add(newFetch(ids, role != CacheLedger.BYPASS, evict, now, true));
            i = j;
        }
        return out;
    }

    // ------------------------------------------------------------------ prefetch

    /** The first absent extent at or after the frontier of the known future, or -1; advances the frontier. */
    private int futureCandidate() {
        if (future.isEmpty()) {
            return -1;
        }
        frontier = Math.max(frontier, Math.max(cursor, future.start()));
        long end = future.end();
        while (frontier < end) {
            if (!future.isRead(frontier)) {
                int s = future.sampleAt(frontier);
                for (int i = table.extentsStart(s); i < table.extentsEnd(s); i++) {
                    int e = table.extentAt(i);
                    if (ledger.state[e] == CacheLedger.ABSENT) {
                        return e;
                    }
                }
            }
            frontier++;
        }
        return -1;
    }

    private long deadline(long now, long position) {
        long ahead = Math.max(0, position - cursor);
        return now + (long) (ahead * 1e9 / readsPerSecond);
    }

    private @Nullable Fetch prefetchFromFuture(int e, long deadline, long now) {
        long need = frontier;
        // coalesce only with extents needed within what the window can hold: a GET that also took neighbours needed
        // much later would fill the window with them and starve the positions right ahead of the reader
        long windowPositions = Math.max(1, (long) (windowBudget / averageReadBytes));
        long horizon = need + Math.min(horizonPositions, windowPositions);
        int[] run = range(e, id -> {
            long u = nextUseOfExtent(id);
            return u >= need && u <= horizon;
        });
        long latestNeed = need;
        for (int id : run) {
            latestNeed = Math.max(latestNeed, nextUseOfExtent(id));
        }
        Fetch f = admitWindow(run, latestNeed, deadline, now);
        if (f != null) {
            for (int id : run) {
                ledger.setNeedPosition(id, nextUseOfExtent(id));
                windowQueue.add(id);
            }
        }
        return f;
    }

    private int streamCandidate(StreamTable.Stream s) {
        if (!s.active()) {
            return -1;
        }
        long readEnd = table.end(s.last);
        while (s.frontier >= 0 && table.end(s.frontier) - readEnd <= s.readAhead) {
            if (ledger.state[s.frontier] == CacheLedger.ABSENT) {
                return s.frontier;
            }
            s.frontier = table.next(s.frontier);
        }
        return -1;
    }

    private long streamDeadline(long now, StreamTable.Stream s, int e) {
        long ahead = Math.max(0, table.offset(e) - table.end(s.last));
        double rate = s.bytesPerSecond > 0 ? s.bytesPerSecond : readsPerSecond * averageReadBytes;
        return now + (long) (ahead * 1e9 / rate);
    }

    private @Nullable Fetch prefetchFromStream(StreamTable.Stream s, int e, long deadline, long now) {
        long readEnd = table.end(s.last);
        long limit = readEnd + s.readAhead;
        int[] run = range(e, id -> table.offset(id) >= readEnd && table.end(id) <= limit);
        Fetch f = admitWindow(run, cursor + horizonPositions, deadline, now);
        if (f != null) {
            for (int id : run) {
                ledger.setNeedPosition(id, -1);
            }
            s.frontier = table.next(run[run.length - 1]);
        }
        return f;
    }

    /**
     * Coalesces absent extents of {@code e}'s object around it into one GET: neighbours that the predicate
     * accepts, separated by holes of at most {@code maxGap}, with all holes together at most
     * {@code maxWasteFraction} of the useful bytes and the GET at most {@code maxRangeBytes}. Neighbours before
     * {@code e} are taken only if the predicate accepts them too (for the known future: not needed earlier than
     * {@code e}, so the GET's deadline stays {@code e}'s).
     */
    private int[] range(int e, java.util.function.IntPredicate wanted) {
        long limit = Math.max(maxRangeBytes, table.length(e));
        long useful = table.length(e);
        long waste = 0;
        int first = e;
        int last = e;
        int count = 1;
        boolean grew = true;
        while (grew) {
            grew = false;
            int n = table.next(last);
            if (n >= 0 && ledger.state[n] == CacheLedger.ABSENT && wanted.test(n)) {
                long gap = table.offset(n) - table.end(last);
                if (fits(gap, useful, waste, table.length(n), limit)) {
                    waste += gap;
                    useful += table.length(n);
                    last = n;
                    count++;
                    grew = true;
                }
            }
            int p = table.prev(first);
            if (p >= 0 && ledger.state[p] == CacheLedger.ABSENT && wanted.test(p)) {
                long gap = table.offset(first) - table.end(p);
                if (fits(gap, useful, waste, table.length(p), limit)) {
                    waste += gap;
                    useful += table.length(p);
                    first = p;
                    count++;
                    grew = true;
                }
            }
        }
        int[] ids = new int[count];
        int k = 0;
        for (int id = first; ; id = table.next(id)) {
            ids[k++] = id;
            if (id == last) {
                break;
            }
        }
        return ids;
    }

    private boolean fits(long gap, long useful, long waste, long add, long limit) {
        return gap <= config.maxGapBytes()
                && waste + gap <= config.maxWasteFraction() * (useful + add)
                && useful + waste + gap + add <= limit;
    }

    /** Reserves window space for a prefetch (evicting transients needed later than it), or returns null. */
    private @Nullable Fetch admitWindow(int[] ids, long latestNeed, long deadline, long now) {
        long bytes = 0;
        for (int id : ids) {
            bytes += table.length(id);
        }
        if (ledger.window > 0 && ledger.window + bytes > windowBudget) {
            return null;
        }
        String prefix = table.prefixOf(ids[0]);
        if (!hasToken(prefix, now)) {
            return null;
        }
        List<Integer> victims = ledger.victims(bytes, latestNeed);
        if (victims == null) {
            return null;
        }
        take(prefix, now, false);
        List<Extent> evict = evict(victims);
        for (int id : ids) {
            ledger.reserve(id, CacheLedger.WINDOW);
        }
        return newFetch(ids, true, evict, deadline, false);
    }

    private List<Extent> evict(List<Integer> victims) {
        if (victims.isEmpty()) {
            return List.of();
        }
        List<Extent> out = new ArrayList<>(victims.size());
        for (int v : victims) {
            ledger.drop(v);
            out.add(table.extent(v));
        }
        return out;
    }

    private Fetch newFetch(int[] ids, boolean cache, List<Extent> evict, long deadline, boolean demand) {
        long id = nextFetchId++;
        inflight.put(id, ids);
        List<Extent> extents = new ArrayList<>(ids.length);
        for (int e : ids) {
            extents.add(table.extent(e));
        }
        long start = table.offset(ids[0]);
        long end = table.end(ids[ids.length - 1]);
        return new Fetch(id, table.objectName(table.objectOf(ids[0])), start, end - start, extents, cache, evict,
                deadline, demand);
    }

    // ------------------------------------------------------------------ request-rate cap per prefix

    private double[] bucket(String prefix, long now) {
        double rate = store.maxRequestsPerSecondPerPrefix();
        double burst = Math.max(1, rate / 10);
        double[] b = buckets.computeIfAbsent(prefix, k -> new double[] {burst, now});
        b[0] = Math.min(burst, b[0] + (now - (long) b[1]) * rate / 1e9);
        b[1] = now;
        return b;
    }

    private boolean hasToken(String prefix, long now) {
        return bucket(prefix, now)[0] >= 1;
    }

    private void take(String prefix, long now, boolean mayGoNegative) {
        double[] b = bucket(prefix, now);
        if (b[0] >= 1 || mayGoNegative) {
            b[0] -= 1;
        }
    }

    // ------------------------------------------------------------------ learned

    private void followStream(int e, long now) {
        evictedStream[0] = null;
        StreamTable.Stream s = requireNonNull(streams, "only a learning planner follows streams")
                .observe(e, now, evictedStream);
        if (evictedStream[0] != null) {
            releaseStreamWindow(evictedStream[0].last, -1);
        }
        // extents the stream skipped over will not be read: release their read-ahead
        if (s.last == e && table.prev(e) >= 0 && ledger.role[table.prev(e)] == CacheLedger.WINDOW
                && ledger.needPosition(table.prev(e)) == -1) {
            releaseStreamWindow(-1, e);
        }
    }

    /** Releases stream read-ahead (WINDOW extents with no position) after {@code from} or before {@code upTo}. */
    private void releaseStreamWindow(int from, int upTo) {
        if (from >= 0) {
            for (int id = table.next(from); id >= 0; id = table.next(id)) {
                if (ledger.role[id] != CacheLedger.WINDOW || ledger.needPosition(id) != -1) {
                    break;
                }
                toTransient(id);
            }
        } else {
            for (int id = table.prev(upTo); id >= 0; id = table.prev(id)) {
                if (ledger.role[id] != CacheLedger.WINDOW || ledger.needPosition(id) != -1) {
                    break;
                }
                toTransient(id);
            }
        }
    }

    private void installPrediction(EpochOrder order) {
        future.clear();
        future.put(order, cursor);
        replayActive = true;
        frontier = cursor;
        rekeyAll();
    }

    private void dropPrediction() {
        future.clear();
        replayActive = false;
        releaseWindow();
        frontier = cursor;
        rekeyAll();
    }

    // ------------------------------------------------------------------ bookkeeping

    private long nextUseOfExtent(int e) {
        if (future.isEmpty()) {
            return NEVER;
        }
        long from = cursor - config.readSlack();
        long best = NEVER;
        for (int i = table.ownersStart(e); i < table.ownersEnd(e); i++) {
            best = Math.min(best, future.nextUse(table.ownerAt(i), from));
        }
        return best;
    }

    private void rekeyAll() {
        for (int id : ledger.evictables()) {
            ledger.rekey(id, nextUseOfExtent(id), ledger.lastAccess(id));
        }
    }

    private void toTransient(int id) {
        ledger.setRole(id, CacheLedger.TRANSIENT);
        ledger.rekey(id, nextUseOfExtent(id), ledger.lastAccess(id));
    }

    /** Window extents whose position the reader passed without reading them become transient. */
    private void releaseStaleWindow() {
        while (!windowQueue.isEmpty()) {
            int id = windowQueue.peekFirst();
            if (ledger.role[id] != CacheLedger.WINDOW || ledger.needPosition(id) < 0) {
                windowQueue.pollFirst();
            } else if (ledger.needPosition(id) < cursor - config.readSlack()) {
                windowQueue.pollFirst();
                toTransient(id);
            } else {
                break;
            }
        }
    }

    /** The known future changed under the window: everything prefetched from it becomes transient. */
    private void releaseWindow() {
        for (int id : windowQueue) {
            if (ledger.role[id] == CacheLedger.WINDOW && ledger.needPosition(id) >= 0) {
                toTransient(id);
            }
        }
        windowQueue.clear();
    }

    /** An extent is gone unexpectedly: plan it again if it is still needed. */
    private void replan(int e) {
        long next = nextUseOfExtent(e);
        if (next != NEVER) {
            frontier = Math.min(frontier, Math.max(cursor, next));
        }
        if (streams != null) {
            streams.rewind();
        }
    }

    private void check() {
        ledger.checkInvariants();
    }

    // ------------------------------------------------------------------ for tests and one-shot plans

    long pinnedTarget() {
        return pinnedTarget;
    }

    long windowBudget() {
        return windowBudget;
    }

    long pinnedBytes() {
        return ledger.pinned;
    }
}

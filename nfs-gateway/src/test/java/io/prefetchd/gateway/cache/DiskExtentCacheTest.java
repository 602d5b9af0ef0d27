package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskExtentCacheTest {
    private static final String BUCKET = "cache-bucket";
    private static final int GRAIN = 4096;
    private static final long BIG = 64L * 1024 * 1024;

    @TempDir
    Path dir;

    private InMemoryObjectStore store;
    private ManualClock clock;
    private SimpleMeterRegistry registry;
    private final List<DiskExtentCache> opened = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();

    @BeforeEach
    void setUp() {
        clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
        store = new InMemoryObjectStore(BUCKET, clock);
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void tearDown() {
        executors.forEach(ExecutorService::shutdownNow);
        opened.forEach(DiskExtentCache::close);
        store.close();
    }

    private DiskExtentCache open(long capacity, int grain) {
        return open(capacity, grain, DiskExtentCache.Options.defaults());
    }

    private DiskExtentCache open(long capacity, int grain, DiskExtentCache.Options options) {
        DiskExtentCache cache = DiskExtentCache.open(dir, capacity, grain, store, registry, clock, options);
        opened.add(cache);
        return cache;
    }

    /** Reads, then waits until the fetched blocks are on disk (readers get their bytes before that). */
    private static byte[] readAndSettle(DiskExtentCache cache, ObjectVersion object, long offset, int length) {
        byte[] bytes = cache.read(object, offset, length);
        settle(cache);
        return bytes;
    }

    private static void settle(DiskExtentCache cache) {
        try {
            assertTrue(cache.awaitIdle(Duration.ofSeconds(10)), "blocks still in flight");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private ObjectVersion put(String key, byte[] data) {
        return new ObjectVersion(key, store.put(key, data), data.length);
    }

    private static byte[] bytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static byte[] slice(byte[] data, long offset, int length) {
        int from = (int) Math.min(offset, data.length);
        int to = (int) Math.min(data.length, offset + length);
        return Arrays.copyOfRange(data, from, to);
    }

    /** Whole grains {@code indexes} as the cache lists them. */
    private static List<ExtentCache.Range> blocks(int... indexes) {
        return Arrays.stream(indexes).mapToObj(i -> new ExtentCache.Range((long) i * GRAIN, GRAIN)).toList();
    }

    private Path layout() {
        return dir.resolve(DiskExtentCache.LAYOUT_PREFIX + GRAIN);
    }

    private List<Path> blockFiles() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> p.toString().endsWith(".blk")).sorted().toList();
        }
    }

    /** The size of one full block file for {@code object} at {@code grain}. */
    private static long fileSize(ObjectVersion object, int grain) {
        return BlockFormat.headerLength(BUCKET, object) + (long) grain;
    }

    // ------------------------------------------------------------------ bytes

    @Test
    void read_randomRangesAcrossBlockEdgesAndEof_returnsExactBytes() {
        byte[] data = bytes(100_003, 1);
        ObjectVersion object = put("shard-0.tar", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        Random random = new Random(42);

        for (int i = 0; i < 400; i++) {
            long offset = random.nextInt(data.length + 2 * GRAIN);
            int length = random.nextInt(4) == 0 ? random.nextInt(8) : random.nextInt(5 * GRAIN);
            assertArrayEquals(slice(data, offset, length), readAndSettle(cache, object, offset, length),
                    "offset " + offset + " length " + length);
        }
        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length + 100));
        assertArrayEquals(slice(data, GRAIN - 1, 2), readAndSettle(cache, object, GRAIN - 1, 2));
        assertArrayEquals(slice(data, data.length - 1, 10), readAndSettle(cache, object, data.length - 1, 10));
    }

    @Test
    void cachedRangesOfARange_areTheBlocksOfTheGrainsItTouches() {
        ObjectVersion object = put("k", bytes(8 * GRAIN, 3));
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, 6 * GRAIN);

        assertEquals(blocks(2, 3), cache.cachedRanges(object, 2L * GRAIN + 1, 4L * GRAIN));
        assertEquals(blocks(5), cache.cachedRanges(object, 5L * GRAIN, 8L * GRAIN), "grains 6 and 7 not cached");
        assertEquals(List.of(), cache.cachedRanges(object, 3L * GRAIN, 3L * GRAIN));
        assertEquals(cache.cachedRanges(object), cache.cachedRanges(object, 0, object.size()));
    }

    @Test
    void read_atOrAfterEof_isEmptyWithoutGet() {
        ObjectVersion object = put("small", bytes(100, 2));
        DiskExtentCache cache = open(BIG, GRAIN);

        assertEquals(0, cache.read(object, 100, 10).length);
        assertEquals(0, cache.read(object, 1_000_000, 10).length);
        assertEquals(0, cache.read(object, 0, 0).length);
        assertEquals(0, store.getCount());
    }

    @Test
    void read_emptyObject_isEmpty() {
        ObjectVersion object = put("empty", new byte[0]);
        DiskExtentCache cache = open(BIG, GRAIN);

        assertEquals(0, cache.read(object, 0, 10).length);
        assertEquals(0, store.getCount());
    }

    @Test
    void read_secondTime_isServedFromDiskWithoutGet() {
        byte[] data = bytes(3 * GRAIN + 10, 3);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        long gets = store.getCount();

        assertArrayEquals(slice(data, 100, 2 * GRAIN), readAndSettle(cache, object, 100, 2 * GRAIN));

        assertEquals(gets, store.getCount());
        CacheStats stats = cache.stats();
        assertEquals(4, stats.blocks());
        assertEquals(4, stats.misses());
        assertEquals(3, stats.hits());
        assertEquals(data.length, stats.missBytes());
        assertEquals(2L * GRAIN, stats.hitBytes());
    }

    @Test
    void read_lastPartialBlock_isCachedWithItsShortLength() {
        byte[] data = bytes(2 * GRAIN + 123, 4);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);

        assertArrayEquals(slice(data, 2 * GRAIN, GRAIN), readAndSettle(cache, object, 2 * GRAIN, GRAIN));
        assertArrayEquals(slice(data, 2 * GRAIN + 100, GRAIN), readAndSettle(cache, object, 2 * GRAIN + 100, GRAIN));

        assertEquals(1, store.getCount());
        assertEquals(123, store.getBytes());
    }

    // ------------------------------------------------------------------ restart

    @Test
    void reopen_servesCachedRangesWithZeroGets() {
        byte[] data = bytes(10 * GRAIN + 7, 5);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, 6 * GRAIN);
        readAndSettle(cache, object, 9 * GRAIN, 2 * GRAIN);
        CacheStats before = cache.stats();
        cache.close();
        long gets = store.getCount();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertEquals(before.blocks(), reopened.stats().blocks());
        assertEquals(before.usedBytes(), reopened.stats().usedBytes());
        assertArrayEquals(slice(data, 0, 6 * GRAIN), readAndSettle(reopened, object, 0, 6 * GRAIN));
        assertArrayEquals(slice(data, 9 * GRAIN + 5, GRAIN + 2), readAndSettle(reopened, object, 9 * GRAIN + 5, GRAIN + 2));
        assertEquals(gets, store.getCount());
        assertEquals(0, reopened.stats().misses());
    }

    @Test
    void reopen_deletesTempFilesLeftByACrash() throws IOException {
        ObjectVersion object = put("k", bytes(GRAIN, 6));
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, GRAIN);
        cache.close();
        Path block = blockFiles().get(0);
        Path temp = layout().resolve(DiskExtentCache.TEMP_FOLDER).resolve(block.getFileName() + ".17.tmp");
        Files.write(temp, new byte[100]);

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertFalse(Files.exists(temp));
        assertEquals(1, reopened.stats().blocks());
        assertEquals(Files.size(block), reopened.stats().usedBytes());
    }

    /** Copies the index files of a cache that is still open: what a crash at this moment leaves on disk. */
    private Map<String, byte[]> indexAsACrashLeavesIt() throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        for (String name : List.of(IndexFile.CHECKPOINT, IndexFile.JOURNAL)) {
            files.put(name, Files.readAllBytes(layout().resolve(name)));
        }
        return files;
    }

    private void restore(Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(layout().resolve(f.getKey()), f.getValue());
        }
    }

    /** A file the folder listing would delete as a stray: still there means the folders were not listed. */
    private Path strayMarker() throws IOException {
        Path stray = layout().resolve("00").resolve("00").resolve("notes.txt");
        Files.createDirectories(stray.getParent());
        Files.write(stray, new byte[] {1});
        return stray;
    }

    @Test
    void reopen_loadsTheIndexWithoutListingTheFolders() throws IOException {
        byte[] data = bytes(5 * GRAIN, 50);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        CacheStats before = cache.stats();
        cache.close();
        Path stray = strayMarker();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertTrue(Files.exists(stray));
        assertEquals(before.blocks(), reopened.stats().blocks());
        assertEquals(before.usedBytes(), reopened.stats().usedBytes());
        assertArrayEquals(data, readAndSettle(reopened, object, 0, data.length));
        assertEquals(1, store.getCount());
    }

    @Test
    void reopen_afterACrash_replaysTheJournal() throws IOException {
        byte[] data = bytes(6 * GRAIN, 51);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, 4 * GRAIN);
        cache.release(object, GRAIN, GRAIN, true); // journaled as removed
        CacheStats before = cache.stats();
        Map<String, byte[]> crashed = indexAsACrashLeavesIt();
        cache.close();
        restore(crashed);
        Path stray = strayMarker();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertTrue(Files.exists(stray), "the journal was enough: no listing");
        assertEquals(3, before.blocks());
        assertEquals(before.blocks(), reopened.stats().blocks());
        assertEquals(before.usedBytes(), reopened.stats().usedBytes());
        assertEquals(List.of(blocks(0).get(0), blocks(2).get(0), blocks(3).get(0)), reopened.cachedRanges(object));
        store.resetCounters();
        assertArrayEquals(slice(data, 2 * GRAIN, 2 * GRAIN), readAndSettle(reopened, object, 2 * GRAIN, 2 * GRAIN));
        assertEquals(0, store.getCount());
    }

    @Test
    void reopen_withATornJournalEnd_keepsTheRecordsBeforeIt() throws IOException {
        byte[] data = bytes(3 * GRAIN, 52);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, 3 * GRAIN);
        Map<String, byte[]> crashed = indexAsACrashLeavesIt();
        cache.close();
        restore(crashed);
        Files.write(layout().resolve(IndexFile.JOURNAL), new byte[] {1, 0, 0}, java.nio.file.StandardOpenOption.APPEND);

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertEquals(3, reopened.stats().blocks());
        readAndSettle(reopened, object, 0, 3 * GRAIN);
        assertEquals(1, store.getCount());
        reopened.close();
        opened.remove(reopened);
        assertEquals(3, open(BIG, GRAIN).stats().blocks(), "the journal stays usable after the cut");
    }

    @Test
    void reopen_withACorruptCheckpoint_listsTheFoldersInstead() throws IOException {
        byte[] data = bytes(4 * GRAIN, 53);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        CacheStats before = cache.stats();
        cache.close();
        flipByte(layout().resolve(IndexFile.CHECKPOINT), 50);
        Path stray = strayMarker();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertFalse(Files.exists(stray), "the folders were listed");
        assertEquals(before.blocks(), reopened.stats().blocks());
        assertEquals(before.usedBytes(), reopened.stats().usedBytes());
        assertArrayEquals(data, readAndSettle(reopened, object, 0, data.length));
        assertEquals(1, store.getCount());
    }

    @Test
    void reopen_indexedBlockWhoseFileIsGone_isFetchedAgain() throws IOException {
        byte[] data = bytes(2 * GRAIN, 54);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        cache.close();
        Files.delete(blockFiles().get(0));

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertArrayEquals(data, readAndSettle(reopened, object, 0, data.length));
        assertEquals(2, store.getCount());
        assertEquals(0, reopened.stats().corruptDropped());
        assertEquals(2, reopened.stats().blocks());
    }

    @Test
    void longJournal_isFoldedIntoACheckpointWhileServing() throws IOException {
        byte[] data = bytes(16 * GRAIN, 55);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults().withCheckpointRecords(4)
                .withCheckpoints(Runnable::run));
        readAndSettle(cache, object, 0, 6 * GRAIN); // six blocks stay
        for (int block = 6; block < 16; block++) { // twenty journal records for blocks that come and go
            readAndSettle(cache, object, (long) block * GRAIN, 1);
            cache.release(object, (long) block * GRAIN, GRAIN, true);
        }
        Map<String, byte[]> crashed = indexAsACrashLeavesIt();
        cache.close();
        restore(crashed);

        assertTrue(crashed.get(IndexFile.JOURNAL).length <= 32 + 12 * IndexFile.RECORD,
                "checkpointed meanwhile: " + crashed.get(IndexFile.JOURNAL).length);
        DiskExtentCache reopened = open(BIG, GRAIN);
        assertEquals(blocks(0, 1, 2, 3, 4, 5), reopened.cachedRanges(object));
    }

    @Test
    void reopen_afterACrashWhileACheckpointWasWritten_replaysBothJournals() throws IOException {
        byte[] data = bytes(16 * GRAIN, 56);
        ObjectVersion object = put("k", data);
        List<Runnable> never = new ArrayList<>(); // the checkpoint is started but never written
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults().withCheckpointRecords(4)
                .withCheckpoints(never::add));
        readAndSettle(cache, object, 0, 2 * GRAIN);
        for (int block = 6; block < 16; block++) {
            readAndSettle(cache, object, (long) block * GRAIN, 1);
            cache.release(object, (long) block * GRAIN, GRAIN, block % 2 == 0); // odd blocks stay
        }
        assertEquals(1, never.size());
        Map<String, byte[]> crashed = indexAsACrashLeavesIt();
        crashed.put(IndexFile.NEXT_JOURNAL, Files.readAllBytes(layout().resolve(IndexFile.NEXT_JOURNAL)));
        cache.close();
        restore(crashed);
        Path stray = strayMarker();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertTrue(Files.exists(stray), "no listing");
        assertEquals(blocks(0, 1, 7, 9, 11, 13, 15), reopened.cachedRanges(object));
        assertFalse(Files.exists(layout().resolve(IndexFile.NEXT_JOURNAL)), "folded into a new checkpoint");
        reopened.close();
        opened.remove(reopened);
        assertEquals(7, open(BIG, GRAIN).stats().blocks());
    }

    @Test
    void fuzzyCheckpoint_overlapResolvedByTheJournal_loadsWithoutListing() throws Exception {
        byte[] data = bytes(2 * GRAIN, 57);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        cache.close();
        long[] id = idOf(object);
        int header = BlockFormat.headerLength(BUCKET, object);
        // as a checkpoint copied while a block [100, 200) was replaced by the whole grain: both are in it
        IndexFile.install(layout(), IndexFile.write(layout(), "f.tmp", GRAIN, 9, true, out -> {
            out.put(id[0], id[1], 100, 100, header, false);
            out.put(id[0], id[1], 0, GRAIN, header, false);
            out.put(id[0], id[1], GRAIN, GRAIN, header, false);
        }, false));
        try (IndexFile journal = IndexFile.startJournal(layout(), GRAIN, 9)) {
            journal.append(IndexFile.REMOVED, id[0], id[1], 100, 100, header);
            journal.append(IndexFile.ADDED, id[0], id[1], 0, GRAIN, header);
        }
        Path stray = strayMarker();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertTrue(Files.exists(stray));
        assertEquals(blocks(0, 1), reopened.cachedRanges(object));
        assertEquals(2 * fileSize(object, GRAIN), reopened.stats().usedBytes());
        assertArrayEquals(data, readAndSettle(reopened, object, 0, data.length));
        assertEquals(1, store.getCount());
    }

    @Test
    void fuzzyCheckpoint_overlapLeftByLostRecords_dropsBothBlocks() throws Exception {
        byte[] data = bytes(2 * GRAIN, 58);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        cache.close();
        long[] id = idOf(object);
        int header = BlockFormat.headerLength(BUCKET, object);
        IndexFile.install(layout(), IndexFile.write(layout(), "f.tmp", GRAIN, 9, true, out -> {
            out.put(id[0], id[1], 100, 100, header, false);
            out.put(id[0], id[1], 0, GRAIN, header, false);
            out.put(id[0], id[1], GRAIN, GRAIN, header, false);
        }, false));
        IndexFile.startJournal(layout(), GRAIN, 9).close();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertEquals(blocks(1), reopened.cachedRanges(object));
        assertArrayEquals(data, readAndSettle(reopened, object, 0, data.length));
        assertEquals(2, store.getCount(), "the dropped grain was fetched again");
    }

    @Test
    void checkpointsWhileServing_underConcurrentReads_keepTheIndexExact() throws Exception {
        byte[] a = bytes(64 * GRAIN + 17, 59);
        byte[] b = bytes(40 * GRAIN + 5, 60);
        ObjectVersion objectA = put("a", a);
        ObjectVersion objectB = put("b", b);
        long capacity = 12 * fileSize(objectA, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN, DiskExtentCache.Options.defaults().withCheckpointRecords(8));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        executors.add(pool);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long seed = t;
            workers.add(pool.submit(() -> {
                Random random = new Random(seed);
                for (int i = 0; i < 150; i++) {
                    boolean useA = random.nextBoolean();
                    byte[] data = useA ? a : b;
                    long offset = random.nextInt(data.length);
                    int length = random.nextInt(3 * GRAIN);
                    assertArrayEquals(slice(data, offset, length), cache.read(useA ? objectA : objectB, offset, length));
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        settle(cache);
        List<ExtentCache.Range> rangesA = cache.cachedRanges(objectA);
        List<ExtentCache.Range> rangesB = cache.cachedRanges(objectB);
        CacheStats before = cache.stats();
        cache.close();
        Path stray = strayMarker();

        DiskExtentCache reopened = open(capacity, GRAIN);

        assertTrue(Files.exists(stray), "the index was kept, not abandoned");
        assertEquals(rangesA, reopened.cachedRanges(objectA));
        assertEquals(rangesB, reopened.cachedRanges(objectB));
        assertEquals(before.usedBytes(), reopened.stats().usedBytes());
        assertEquals(reopened.stats().blocks(), blockFiles().size());
    }

    @Test
    void indexThatCannotBeWritten_isDeleted_andTheNextOpenListsTheFolders() throws Exception {
        byte[] data = bytes(8 * GRAIN, 61);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults().withCheckpointRecords(2)
                .withCheckpoints(task -> {
                    throw new java.util.concurrent.RejectedExecutionException("no checkpoint thread");
                }));
        for (int block = 0; block < 8; block++) {
            readAndSettle(cache, object, (long) block * GRAIN, 1);
            cache.release(object, (long) block * GRAIN, GRAIN, block % 2 == 0); // odd blocks stay
        }
        assertFalse(Files.exists(layout().resolve(IndexFile.CHECKPOINT)), "given up and deleted");
        assertArrayEquals(slice(data, GRAIN, GRAIN), cache.read(object, GRAIN, GRAIN), "the cache goes on");
        cache.close();
        Path stray = strayMarker();

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertFalse(Files.exists(stray), "the folders were listed");
        assertEquals(blocks(1, 3, 5, 7), reopened.cachedRanges(object));
    }

    /** The object id the cache names blocks of {@code object} by, from its block file's name. */
    private long[] idOf(ObjectVersion object) throws IOException {
        BlockKey key = BlockKey.parse(blockFiles().get(0).getFileName().toString());
        return new long[] {key.idHigh(), key.idLow()};
    }

    @Test
    void reopen_withAnotherGrain_dropsTheOldBlocks() throws IOException {
        byte[] data = bytes(4 * GRAIN, 7);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        cache.close();

        DiskExtentCache reopened = open(BIG, 2 * GRAIN);

        assertEquals(0, reopened.stats().blocks());
        assertTrue(blockFiles().isEmpty());
        assertArrayEquals(data, readAndSettle(reopened, object, 0, data.length));
    }

    @Test
    void open_whileAnotherCacheHasTheFolder_fails() {
        open(BIG, GRAIN);

        assertThrows(UncheckedIOException.class, () -> open(BIG, GRAIN));
    }

    @Test
    void open_rejectsBadGrainAndTinyCapacity() {
        assertThrows(IllegalArgumentException.class, () -> open(BIG, 3000));
        assertThrows(IllegalArgumentException.class, () -> open(BIG, 2048));
        assertThrows(IllegalArgumentException.class, () -> open(BIG, 512 * 1024));
        assertThrows(IllegalArgumentException.class, () -> open(GRAIN, GRAIN));
    }

    @Test
    void read_afterClose_isRefused() {
        ObjectVersion object = put("k", bytes(10, 8));
        DiskExtentCache cache = open(BIG, GRAIN);
        cache.close();

        assertThrows(IllegalStateException.class, () -> cache.read(object, 0, 10));
    }

    // ------------------------------------------------------------------ corruption

    @Test
    void read_blockWithFlippedDataByte_refetchesAndNeverServesIt() throws IOException {
        byte[] data = bytes(GRAIN, 9);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, GRAIN);
        Path block = blockFiles().get(0);
        flipByte(block, Files.size(block) - 100);

        assertArrayEquals(data, readAndSettle(cache, object, 0, GRAIN));

        assertEquals(2, store.getCount());
        assertEquals(1, cache.stats().corruptDropped());
        assertArrayEquals(data, readAndSettle(cache, object, 0, GRAIN)); // re-cached, verified
        assertEquals(2, store.getCount());
    }

    @Test
    void read_truncatedBlockFile_refetches() throws IOException {
        byte[] data = bytes(2 * GRAIN, 10);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, 2 * GRAIN);
        Path block = blockFiles().get(0);
        try (RandomAccessFile file = new RandomAccessFile(block.toFile(), "rw")) {
            file.setLength(file.length() / 2);
        }

        assertArrayEquals(data, readAndSettle(cache, object, 0, 2 * GRAIN));

        assertEquals(2, store.getCount());
        assertEquals(1, cache.stats().corruptDropped());
    }

    @Test
    void read_blockWithCorruptHeader_refetches() throws IOException {
        byte[] data = bytes(GRAIN, 11);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, GRAIN);
        flipByte(blockFiles().get(0), 20); // inside the block index field

        assertArrayEquals(data, readAndSettle(cache, object, 0, GRAIN));

        assertEquals(2, store.getCount());
        assertEquals(1, cache.stats().corruptDropped());
    }

    @Test
    void read_blockFileOfAnotherObjectUnderThisName_isRejectedByIdentity() throws IOException {
        byte[] a = bytes(GRAIN, 12);
        byte[] b = bytes(GRAIN, 13);
        ObjectVersion objectA = put("a", a);
        ObjectVersion objectB = put("b", b);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, objectA, 0, GRAIN);
        Path fileA = blockFiles().get(0);
        readAndSettle(cache, objectB, 0, GRAIN);
        Path fileB = blockFiles().stream().filter(p -> !p.equals(fileA)).findFirst().orElseThrow();
        Files.copy(fileA, fileB, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // same length, valid CRCs

        assertArrayEquals(b, readAndSettle(cache, objectB, 0, GRAIN));

        assertEquals(1, cache.stats().corruptDropped());
        assertEquals(3, store.getCount());
    }

    @Test
    void read_corruptBlockAfterRestart_isDroppedAndRefetched() throws IOException {
        byte[] data = bytes(GRAIN, 14);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, GRAIN);
        cache.close();
        Path block = blockFiles().get(0);
        Files.write(block, new byte[(int) Files.size(block)]); // a torn write after power loss: zeros

        DiskExtentCache reopened = open(BIG, GRAIN);

        assertArrayEquals(data, readAndSettle(reopened, object, 0, GRAIN));
        assertEquals(2, store.getCount());
        assertEquals(1, reopened.stats().corruptDropped());
    }

    @Test
    void read_blockFileDeletedBehindTheCache_isRefetchedWithoutCountingCorruption() throws IOException {
        byte[] data = bytes(GRAIN, 15);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, GRAIN);
        Files.delete(blockFiles().get(0));

        assertArrayEquals(data, readAndSettle(cache, object, 0, GRAIN));

        assertEquals(2, store.getCount());
        assertEquals(0, cache.stats().corruptDropped());
        assertEquals(1, cache.stats().blocks());
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0xFF);
        }
    }

    // ------------------------------------------------------------------ full disk

    @Test
    void read_whenFirstWriteHitsEnospc_evictsRetriesAndCaches() {
        byte[] old = bytes(8 * GRAIN, 16);
        byte[] data = bytes(GRAIN, 17);
        ObjectVersion oldObject = put("old", old);
        ObjectVersion object = put("new", data);
        FaultyBlockFiles files = new FaultyBlockFiles();
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults().withFiles(files));
        readAndSettle(cache, oldObject, 0, old.length);
        files.failWrites(1);

        assertArrayEquals(data, readAndSettle(cache, object, 0, GRAIN));

        CacheStats stats = cache.stats();
        assertEquals(1, files.failedWrites());
        assertEquals(0, stats.writeFailures());
        assertTrue(stats.evictions() >= 1, "must make room before retrying: " + stats);
        long gets = store.getCount();
        assertArrayEquals(data, readAndSettle(cache, object, 0, GRAIN));
        assertEquals(gets, store.getCount());
    }

    @Test
    void read_whenEveryWriteHitsEnospc_servesBytesFromMemoryAndCountsFailures() {
        byte[] data = bytes(3 * GRAIN, 18);
        ObjectVersion object = put("k", data);
        FaultyBlockFiles files = new FaultyBlockFiles();
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults().withFiles(files));
        files.failWrites(-1);

        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length));
        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length));

        CacheStats stats = cache.stats();
        assertEquals(6, stats.writeFailures());
        assertEquals(0, stats.blocks());
        assertEquals(0, stats.usedBytes());
        assertEquals(2, store.getCount());
        files.failWrites(0);
        readAndSettle(cache, object, 0, data.length);
        assertEquals(3, cache.stats().blocks());
    }

    @Test
    void read_afterTheTemporaryFolderWasDeletedUnderIt_makesItAgainAndCaches() throws IOException {
        byte[] first = bytes(GRAIN, 20);
        byte[] second = bytes(2 * GRAIN, 21);
        ObjectVersion a = put("a", first);
        ObjectVersion b = put("b", second);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, a, 0, first.length);
        Path temps = dir.resolve(DiskExtentCache.LAYOUT_PREFIX + GRAIN).resolve(DiskExtentCache.TEMP_FOLDER);
        Files.delete(temps);   // an operator cleaning up, or a tmp reaper

        assertArrayEquals(second, readAndSettle(cache, b, 0, second.length));

        assertEquals(0, cache.stats().writeFailures());
        assertEquals(3, cache.stats().blocks());
        assertTrue(Files.isDirectory(temps));
        long gets = store.getCount();
        assertArrayEquals(second, readAndSettle(cache, b, 0, second.length));
        assertEquals(gets, store.getCount(), "served from the disk");
    }

    // ------------------------------------------------------------------ single flight and coalescing

    @Test
    void read_concurrentReadersOfOneMissingRange_causeExactlyOneGet() throws Exception {
        int readers = 8;
        byte[] data = bytes(4 * GRAIN, 19);
        ObjectVersion object = put("k", data);
        CountDownLatch getArrived = new CountDownLatch(1);
        CountDownLatch releaseGet = new CountDownLatch(1);
        CountDownLatch joined = new CountDownLatch(readers - 1);
        store.setGetHook((key, offset, length) -> {
            getArrived.countDown();
            releaseGet.await();
        });
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults()
                .withOnJoinInFlight(joined::countDown));
        ExecutorService pool = Executors.newFixedThreadPool(readers);
        executors.add(pool);

        List<Future<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            results.add(pool.submit(() -> cache.read(object, 100, 3 * GRAIN)));
        }
        assertTrue(getArrived.await(10, TimeUnit.SECONDS));
        assertTrue(joined.await(10, TimeUnit.SECONDS)); // every other reader now waits on the one GET
        releaseGet.countDown();

        for (Future<byte[]> result : results) {
            assertArrayEquals(slice(data, 100, 3 * GRAIN), result.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, store.getCount());
        assertEquals(4L * GRAIN, store.getBytes());
    }

    @Test
    void read_overlappingAnInFlightGet_fetchesOnlyTheRest() throws Exception {
        byte[] data = bytes(8 * GRAIN, 20);
        ObjectVersion object = put("k", data);
        CountDownLatch firstGet = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch joined = new CountDownLatch(1);
        store.setGetHook((key, offset, length) -> {
            firstGet.countDown();
            release.await();
        });
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults()
                .withOnJoinInFlight(joined::countDown));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        executors.add(pool);

        Future<byte[]> first = pool.submit(() -> cache.read(object, 0, 4 * GRAIN));   // blocks 0-3
        assertTrue(firstGet.await(10, TimeUnit.SECONDS));
        Future<byte[]> second = pool.submit(() -> cache.read(object, 2 * GRAIN, 4 * GRAIN)); // blocks 2-5
        assertTrue(joined.await(10, TimeUnit.SECONDS)); // it has joined the GET of blocks 2 and 3
        release.countDown();

        assertArrayEquals(slice(data, 0, 4 * GRAIN), first.get(10, TimeUnit.SECONDS));
        assertArrayEquals(slice(data, 2 * GRAIN, 4 * GRAIN), second.get(10, TimeUnit.SECONDS));
        assertEquals(2, store.getCount());
        assertEquals(6L * GRAIN, store.getBytes());
    }

    @Test
    void read_oneMebibyteOverEightMissingBlocks_isOneGet() {
        int grain = 128 * 1024;
        byte[] data = bytes(2 * 1024 * 1024, 21);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, grain);

        assertArrayEquals(slice(data, 0, 1024 * 1024), readAndSettle(cache, object, 0, 1024 * 1024));

        assertEquals(1, store.getCount());
        assertEquals(1024L * 1024, store.getBytes());
        assertEquals(8, cache.stats().blocks());
    }

    @Test
    void read_missingBlocksAroundACachedOne_isOneGetPerRun() {
        byte[] data = bytes(5 * GRAIN, 22);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 2 * GRAIN, 1);
        store.resetCounters();

        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length));

        assertEquals(2, store.getCount());
        assertEquals(4L * GRAIN, store.getBytes());
    }

    @Test
    void read_longRun_isSplitIntoGetsOfAtMostMaxRunBytes() {
        byte[] data = bytes(10 * GRAIN, 23);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults().withMaxRunBytes(4 * GRAIN));

        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length));

        assertEquals(3, store.getCount());
    }

    // ------------------------------------------------------------------ capacity and eviction

    @Test
    void capacity_evictsLeastRecentlyUsedBlock() {
        byte[] data = bytes(8 * GRAIN, 24);
        ObjectVersion object = put("k", data);
        long capacity = 4 * fileSize(object, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN);
        for (int block = 0; block < 4; block++) {
            readAndSettle(cache, object, (long) block * GRAIN, 1);
            clock.advance(Duration.ofSeconds(1));
        }
        readAndSettle(cache, object, 0, 1); // block 0 is now the most recently used

        readAndSettle(cache, object, 4L * GRAIN, 1);

        CacheStats stats = cache.stats();
        assertEquals(4, stats.blocks());
        assertEquals(1, stats.evictions());
        assertEquals(capacity, stats.usedBytes());
        store.resetCounters();
        readAndSettle(cache, object, 0, 1);
        readAndSettle(cache, object, 2L * GRAIN, 1);
        assertEquals(0, store.getCount(), "blocks 0 and 2 stay");
        readAndSettle(cache, object, GRAIN, 1);
        assertEquals(1, store.getCount(), "block 1 was the least recently used");
    }

    // ------------------------------------------------------------------ blocks cut at sample boundaries

    /** Two tar-like members sharing grain 1: [100, 5000) and [5512, 9000), a 512-byte header between them. */
    private static final long[] MEMBERS = {100, 5000, 5512, 9000};

    @Test
    void cutAt_aSampleIsFetchedAlone_notWithItsNeighboursBytes() throws Exception {
        byte[] data = bytes(3 * GRAIN, 60);
        ObjectVersion object = put("cut", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        cache.cutAt(object, MEMBERS);

        assertArrayEquals(slice(data, 5512, 3488), readAndSettle(cache, object, 5512, 3488));
        assertEquals(1, store.getCount());
        assertEquals(3488, store.getBytes(), "exactly the second member, although it shares grain 1 with the first");
        assertEquals(List.of(new ExtentCache.Range(5512, 8192 - 5512), new ExtentCache.Range(8192, 9000 - 8192)),
                cache.cachedRanges(object));

        store.resetCounters();
        assertArrayEquals(slice(data, 100, 4900), readAndSettle(cache, object, 100, 4900));
        assertEquals(4900, store.getBytes(), "exactly the first member");

        store.resetCounters();
        cache.release(object, 100, 4900, true); // the planner drops the first member
        assertArrayEquals(slice(data, 5512, 3488), cache.read(object, 5512, 3488));
        assertEquals(0, store.getCount(), "the second member's blocks stayed");
    }

    @Test
    void cutAt_aReadAcrossMembers_fetchesOnlyTheGaps_inOneGetPerRun() throws Exception {
        byte[] data = bytes(3 * GRAIN, 61);
        ObjectVersion object = put("gaps", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        cache.cutAt(object, MEMBERS);
        readAndSettle(cache, object, 5512, 3488);
        store.resetCounters();

        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length));
        assertEquals(2, store.getCount(), "[0, 5512) and [9000, end): the member in between is cached");
        assertEquals(data.length - 3488, store.getBytes());
        store.resetCounters();
        assertArrayEquals(data, cache.read(object, 0, data.length));
        assertArrayEquals(slice(data, 4000, 2000), cache.read(object, 4000, 2000));
        assertEquals(0, store.getCount());
    }

    @Test
    void cutAt_blocksCachedBeforeTheCuts_stillServeReads() throws Exception {
        byte[] data = bytes(3 * GRAIN, 62);
        ObjectVersion object = put("before", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 4000, 200); // grains 0 and 1, whole
        cache.cutAt(object, MEMBERS);
        store.resetCounters();

        assertArrayEquals(slice(data, 100, 8900), readAndSettle(cache, object, 100, 8900));
        assertEquals(1, store.getCount(), "only [8192, 9000) is missing; cut at the member's end");
        assertEquals(9000 - 8192, store.getBytes());
        assertEquals(List.of(new ExtentCache.Range(0, GRAIN), new ExtentCache.Range(GRAIN, GRAIN),
                new ExtentCache.Range(8192, 808)), cache.cachedRanges(object));
    }

    @Test
    void cutBlocks_surviveARestart() throws Exception {
        byte[] data = bytes(3 * GRAIN, 63);
        ObjectVersion object = put("restart", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        cache.cutAt(object, MEMBERS);
        readAndSettle(cache, object, 5512, 3488);
        List<ExtentCache.Range> cached = cache.cachedRanges(object);
        cache.close();
        opened.remove(cache);
        store.resetCounters();

        DiskExtentCache reopened = open(BIG, GRAIN); // no cuts known yet after a restart
        assertEquals(cached, reopened.cachedRanges(object));
        assertArrayEquals(slice(data, 5512, 3488), reopened.read(object, 5512, 3488));
        assertEquals(0, store.getCount());
        assertArrayEquals(slice(data, 0, 5512), readAndSettle(reopened, object, 0, 5512));
        assertEquals(5512, store.getBytes(), "the gap before the cached member, up to it");
    }

    @Test
    void oldLayoutFolder_isDeletedOnOpen() throws Exception {
        Path old = dir.resolve("v1-g" + GRAIN).resolve("ab").resolve("cd");
        Files.createDirectories(old);
        Files.write(old.resolve("0123456789abcdeffedcba9876543210-3.blk"), new byte[10]);
        open(BIG, GRAIN);
        assertFalse(Files.exists(dir.resolve("v1-g" + GRAIN)));
    }

    // ------------------------------------------------------------------ prefetch and hold

    @Test
    void prefetch_fetchesTheMissingRunInOneGet_thenReadsAreHits() throws Exception {
        byte[] data = bytes(10 * GRAIN + 100, 40);
        ObjectVersion object = put("p", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 3L * GRAIN, 1); // block 3 already cached
        store.resetCounters();

        cache.prefetch(object, GRAIN + 5, 6L * GRAIN, false).get(10, TimeUnit.SECONDS); // blocks 1..7
        settle(cache);

        assertEquals(2, store.getCount(), "blocks 1-2 and 4-7: one GET per run, block 3 not fetched again");
        store.resetCounters();
        assertArrayEquals(slice(data, GRAIN, 7 * GRAIN), cache.read(object, GRAIN, 7 * GRAIN));
        assertEquals(0, store.getCount());
        assertEquals(blocks(1, 2, 3, 4, 5, 6, 7), cache.cachedRanges(object));
    }

    @Test
    void prefetch_ofCachedOrEmptyRange_completesWithoutGet() throws Exception {
        byte[] data = bytes(2 * GRAIN, 41);
        ObjectVersion object = put("q", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, 2 * GRAIN);
        store.resetCounters();
        assertTrue(cache.prefetch(object, 0, 2L * GRAIN, true).isDone());
        assertTrue(cache.prefetch(object, 5L * GRAIN, GRAIN, true).isDone(), "past EOF");
        assertEquals(0, store.getCount());
    }

    @Test
    void prefetch_joinsAReadInFlight_insteadOfASecondGet() throws Exception {
        byte[] data = bytes(4 * GRAIN, 42);
        ObjectVersion object = put("j", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        CountDownLatch getStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.setGetHook((key, offset, length) -> {
            getStarted.countDown();
            release.await(10, TimeUnit.SECONDS);
        });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        executors.add(pool);
        Future<byte[]> reader = pool.submit(() -> cache.read(object, 0, 4 * GRAIN));
        assertTrue(getStarted.await(10, TimeUnit.SECONDS), "the read's GET started (its blocks are claimed)");
        var prefetch = cache.prefetch(object, 0, 4L * GRAIN, true);
        assertFalse(prefetch.isDone());
        release.countDown();
        prefetch.get(10, TimeUnit.SECONDS);
        assertArrayEquals(data, reader.get(10, TimeUnit.SECONDS));
        assertEquals(1, store.getCount());
    }

    @Test
    void heldBlocks_areNeverEvictedByTheCache_untilReleased() throws Exception {
        byte[] data = bytes(12 * GRAIN, 43);
        ObjectVersion object = put("h", data);
        long capacity = 4 * fileSize(object, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN);
        cache.prefetch(object, 0, 2L * GRAIN, true).get(10, TimeUnit.SECONDS); // blocks 0, 1 held
        settle(cache);
        for (int block = 2; block < 8; block++) { // six unheld blocks through two free slots
            readAndSettle(cache, object, (long) block * GRAIN, 1);
        }
        assertEquals(2, cache.heldBlocks());
        assertTrue(cache.stats().usedBytes() <= capacity);
        store.resetCounters();
        cache.read(object, 0, 2 * GRAIN);
        assertEquals(0, store.getCount(), "held blocks survived the LRU churn");

        cache.release(object, 0, GRAIN, true); // drop block 0 now
        assertEquals(1, cache.heldBlocks());
        cache.read(object, 0, 1);
        assertEquals(1, store.getCount(), "a dropped block is fetched again");
        settle(cache);

        cache.release(object, GRAIN, GRAIN, false); // block 1 becomes an ordinary entry, as if just read
        for (int block = 2; block < 12; block++) { // enough new blocks for the clock hand to pass it twice
            readAndSettle(cache, object, (long) block * GRAIN, 1);
        }
        store.resetCounters();
        cache.read(object, GRAIN, 1);
        assertEquals(1, store.getCount(), "after release the block ages out like any other");
    }

    @Test
    void heldBlocksFillingTheCache_unheldReadsAreServedFromMemory() throws Exception {
        byte[] data = bytes(6 * GRAIN, 44);
        ObjectVersion object = put("f", data);
        long capacity = 2 * fileSize(object, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN);
        cache.prefetch(object, 0, 2L * GRAIN, true).get(10, TimeUnit.SECONDS);
        settle(cache);
        assertArrayEquals(slice(data, 3L * GRAIN, GRAIN), readAndSettle(cache, object, 3L * GRAIN, GRAIN));
        assertEquals(blocks(0, 1), cache.cachedRanges(object));
        assertEquals(0, cache.stats().evictions());
    }

    @Test
    void prefetch_failure_completesExceptionallyWithTheStoreError() {
        byte[] data = bytes(2 * GRAIN, 45);
        ObjectVersion object = put("e", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        store.failNextGets(1, Kind.THROTTLED);
        var future = cache.prefetch(object, 0, 2L * GRAIN, true);
        var thrown = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> future.get(10, TimeUnit.SECONDS));
        assertTrue(thrown.getCause() instanceof ObjectStoreException ose && ose.kind() == Kind.THROTTLED,
                thrown.toString());
        settle(cache);
        assertArrayEquals(data, cache.read(object, 0, 2 * GRAIN), "a later read fetches again");
    }

    /** A stand-in for the planner's policy: evicts the block inserted last. */
    private static final class NewestFirstPolicy implements EvictionPolicy {
        final java.util.ArrayDeque<Integer> inserted = new java.util.ArrayDeque<>();
        final List<String> calls = new ArrayList<>();
        BlockTable table;

        @Override
        public void onInsert(int slot) {
            inserted.addLast(slot);
            calls.add("insert " + table.start(slot) / GRAIN);
        }

        @Override
        public void onAccess(int slot) {
            calls.add("access " + table.start(slot) / GRAIN);
        }

        @Override
        public void onRemove(int slot) {
            inserted.remove(slot);
            calls.add("remove " + table.start(slot) / GRAIN);
        }

        @Override
        public int victim() {
            return inserted.isEmpty() ? -1 : inserted.peekLast();
        }
    }

    @Test
    void evictionPolicy_isTheSeamThatChoosesVictims() {
        byte[] data = bytes(8 * GRAIN, 36);
        ObjectVersion object = put("k", data);
        NewestFirstPolicy policy = new NewestFirstPolicy();
        DiskExtentCache cache = open(3 * fileSize(object, GRAIN), GRAIN,
                DiskExtentCache.Options.defaults().withPolicy(table -> {
                    policy.table = table;
                    return policy;
                }));
        readAndSettle(cache, object, 0, 3 * GRAIN); // blocks 0, 1, 2
        readAndSettle(cache, object, 0, 1);

        readAndSettle(cache, object, 3L * GRAIN, 1); // needs room: the policy picks block 2

        assertEquals(List.of("insert 0", "insert 1", "insert 2", "access 0", "remove 2", "insert 3"), policy.calls);
        store.resetCounters();
        readAndSettle(cache, object, 0, 2 * GRAIN);
        assertEquals(0, store.getCount());
    }

    @Test
    void capacity_neverExceededUnderRandomReads() {
        byte[] data = bytes(200 * GRAIN + 99, 25);
        ObjectVersion object = put("k", data);
        long capacity = 10 * fileSize(object, GRAIN) + 123;
        DiskExtentCache cache = open(capacity, GRAIN);
        Random random = new Random(7);

        for (int i = 0; i < 300; i++) {
            long offset = random.nextInt(data.length);
            int length = random.nextInt(6 * GRAIN);
            assertArrayEquals(slice(data, offset, length), readAndSettle(cache, object, offset, length));
            CacheStats stats = cache.stats();
            assertTrue(stats.usedBytes() <= capacity, stats.toString());
        }
        assertTrue(cache.stats().evictions() > 0);
    }

    @Test
    void read_manyThreadsOverASmallCache_alwaysExactBytesAndWithinCapacity() throws Exception {
        byte[] a = bytes(64 * GRAIN + 17, 37);
        byte[] b = bytes(40 * GRAIN + 5, 38);
        ObjectVersion objectA = put("a", a);
        ObjectVersion objectB = put("b", b);
        long capacity = 12 * fileSize(objectA, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        executors.add(pool);

        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            long seed = t;
            workers.add(pool.submit(() -> {
                Random random = new Random(seed);
                for (int i = 0; i < 150; i++) {
                    boolean useA = random.nextBoolean();
                    byte[] data = useA ? a : b;
                    long offset = random.nextInt(data.length);
                    int length = random.nextInt(4 * GRAIN);
                    assertArrayEquals(slice(data, offset, length), cache.read(useA ? objectA : objectB, offset, length));
                    assertTrue(cache.stats().usedBytes() <= capacity);
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        settle(cache);

        CacheStats stats = cache.stats();
        assertTrue(stats.usedBytes() <= capacity, stats.toString());
        assertEquals(0, stats.corruptDropped());
        assertEquals(0, stats.writeFailures());
        assertEquals(stats.blocks(), blockFiles().size());
    }

    @Test
    void reopen_keepsRecencyOrder() {
        byte[] data = bytes(8 * GRAIN, 26);
        ObjectVersion object = put("k", data);
        long capacity = 4 * fileSize(object, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN);
        for (int block = 0; block < 4; block++) {
            readAndSettle(cache, object, (long) block * GRAIN, 1);
            clock.advance(Duration.ofMinutes(2));
        }
        readAndSettle(cache, object, 0, 1); // block 0 is now recently used
        cache.close();

        DiskExtentCache reopened = open(capacity, GRAIN);
        readAndSettle(reopened, object, 4L * GRAIN, 1); // evicts the oldest: block 1

        store.resetCounters();
        readAndSettle(reopened, object, 0, 1);
        readAndSettle(reopened, object, 3L * GRAIN, 1);
        assertEquals(0, store.getCount());
        readAndSettle(reopened, object, GRAIN, 1);
        assertEquals(1, store.getCount());
    }

    @Test
    void reopen_withSmallerCapacity_evictsDownToIt() {
        byte[] data = bytes(8 * GRAIN, 27);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        cache.close();

        long capacity = 3 * fileSize(object, GRAIN);
        DiskExtentCache reopened = open(capacity, GRAIN);

        assertEquals(3, reopened.stats().blocks());
        assertTrue(reopened.stats().usedBytes() <= capacity);
    }

    // ------------------------------------------------------------------ versions and failures

    @Test
    void read_newEtag_returnsNewBytesNeverOldBlocks() {
        byte[] v1 = bytes(3 * GRAIN, 28);
        byte[] v2 = bytes(3 * GRAIN, 29);
        ObjectVersion first = put("k", v1);
        DiskExtentCache cache = open(BIG, GRAIN);
        assertArrayEquals(v1, readAndSettle(cache, first, 0, v1.length));

        ObjectVersion second = put("k", v2);
        assertNotEquals(first.etag(), second.etag());

        assertArrayEquals(v2, readAndSettle(cache, second, 0, v2.length));
        assertArrayEquals(slice(v2, GRAIN + 5, 10), readAndSettle(cache, second, GRAIN + 5, 10));
        assertEquals(2, store.getCount());
        assertEquals(6, cache.stats().blocks());
    }

    @Test
    void read_oldVersionNotCached_failsWithChanged() {
        ObjectVersion first = put("k", bytes(GRAIN, 30));
        put("k", bytes(GRAIN, 31));
        DiskExtentCache cache = open(BIG, GRAIN);

        ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> cache.read(first, 0, 10));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals("k", e.key());
    }

    @Test
    void read_storeFailure_propagatesKindAndDoesNotStickInFlight() {
        byte[] data = bytes(2 * GRAIN, 32);
        ObjectVersion object = put("k", data);
        DiskExtentCache cache = open(BIG, GRAIN);
        store.failNextGets(1, Kind.THROTTLED);

        ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> cache.read(object, 0, data.length));

        assertEquals(Kind.THROTTLED, e.kind());
        assertArrayEquals(data, readAndSettle(cache, object, 0, data.length));
        assertEquals(2, store.getCount());
    }

    @Test
    void read_objectShorterThanItsVersionSays_failsRatherThanZeroFill() {
        byte[] data = bytes(GRAIN, 33);
        ObjectVersion real = put("k", data);
        ObjectVersion lying = new ObjectVersion("k", real.etag(), 2L * GRAIN);
        DiskExtentCache cache = open(BIG, GRAIN);

        ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> cache.read(lying, GRAIN, GRAIN));

        assertEquals(Kind.IO, e.kind());
        assertEquals(0, cache.stats().blocks());
    }

    @Test
    void read_getNotAnsweredWithinDemandTimeout_isUnavailable() {
        ObjectVersion object = put("k", bytes(GRAIN, 34));
        CountDownLatch release = new CountDownLatch(1);
        store.setGetHook((key, offset, length) -> release.await());
        DiskExtentCache cache = open(BIG, GRAIN, DiskExtentCache.Options.defaults()
                .withDemandTimeout(Duration.ofMillis(50)));
        try {
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> cache.read(object, 0, 10));

            assertEquals(Kind.UNAVAILABLE, e.kind());
        } finally {
            release.countDown();
        }
    }

    // ------------------------------------------------------------------ metrics

    @Test
    void metrics_mirrorStatsAndAreRemovedOnClose() {
        byte[] data = bytes(2 * GRAIN, 35);
        ObjectVersion object = put("k", data);
        long capacity = 10 * fileSize(object, GRAIN);
        DiskExtentCache cache = open(capacity, GRAIN);
        readAndSettle(cache, object, 0, data.length);
        readAndSettle(cache, object, 0, 10);

        CacheStats stats = cache.stats();
        assertEquals(stats.hits(), registry.get("prefetchd.cache.hits").functionCounter().count());
        assertEquals(stats.misses(), registry.get("prefetchd.cache.misses").functionCounter().count());
        assertEquals(stats.hitBytes(), registry.get("prefetchd.cache.hit.bytes").functionCounter().count());
        assertEquals(stats.missBytes(), registry.get("prefetchd.cache.miss.bytes").functionCounter().count());
        assertEquals(0.0, registry.get("prefetchd.cache.evictions").functionCounter().count());
        assertEquals(0.0, registry.get("prefetchd.cache.corrupt").functionCounter().count());
        assertEquals(0.0, registry.get("prefetchd.cache.write.failures").functionCounter().count());
        assertEquals(stats.usedBytes(), registry.get("prefetchd.cache.used.bytes").gauge().value());
        assertEquals(capacity, registry.get("prefetchd.cache.capacity.bytes").gauge().value());

        cache.close();

        assertTrue(registry.find("prefetchd.cache.hits").meters().isEmpty());
    }
}

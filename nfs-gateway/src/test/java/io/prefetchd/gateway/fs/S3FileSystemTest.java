package io.prefetchd.gateway.fs;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where S3FileSystem's answers come from, and how old they may be, on a manual clock. */
class S3FileSystemTest {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration MAX_STALE = Duration.ofHours(24);
    private static final Duration DATASET_REFRESH = Duration.ofMinutes(5);

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger changes = new AtomicInteger();
    private S3FileSystem fs;
    @TempDir
    Path namesDir;

    @BeforeEach
    void setUp() {
        for (String cls : new String[] {"cat", "dog"}) {
            for (int i = 0; i < 3; i++) {
                put("data/train/" + cls + "/" + i + ".jpg", cls + i);
            }
        }
        put("data/other/a.bin", "a");
        put("data/other/b.bin", "b");
        fs = fileSystem(namesDir, meters);
        store.resetCounters();
    }

    private S3FileSystem fileSystem(Path names, SimpleMeterRegistry registry) {
        return new S3FileSystem(store, "data/", new PassThroughCache(store), inode -> inode.path().hashCode(),
                new MetadataSettings(TTL, MAX_STALE, DATASET_REFRESH, MetadataSettings.DEFAULT_LISTING_CACHE_BYTES,
                        names), clock, Runnable::run, registry);
    }

    private static double namesBytes(SimpleMeterRegistry registry, String where) {
        return registry.get("prefetchd.metadata.dataset.names.bytes").tag("where", where).gauge().value();
    }

    private void put(String key, String content) {
        store.put(key, content.getBytes(StandardCharsets.UTF_8));
    }

    private static Inode dir(String path) {
        return new Inode(FileType.DIRECTORY, path);
    }

    private Inode resolve(String path) throws FsException {
        Inode at = Inode.ROOT;
        for (String part : path.split("/")) {
            at = fs.lookup(at, part);
        }
        return at;
    }

    private long requests() {
        return store.headCount() + store.listCount();
    }

    @Test
    void pinnedDataset_lookupGetattrReaddir_sendNoRequestToS3() throws FsException {
        fs.pinDataset("train", true, changes::incrementAndGet);
        store.resetCounters();

        for (String cls : new String[] {"cat", "dog"}) {
            assertEquals(3, fs.list(resolve("train/" + cls), 0).entries().size());
            for (int i = 0; i < 3; i++) {
                Inode f = resolve("train/" + cls + "/" + i + ".jpg");
                assertEquals(4, fs.getattr(f).size());
            }
        }

        assertEquals(0, requests());
    }

    @Test
    void pinnedDataset_namesReadFromAMappedFile_noneOnTheHeapAndNoFileLeft() throws Exception {
        fs.pinDataset("train", true, changes::incrementAndGet);

        assertEquals(List.of("0.jpg", "1.jpg", "2.jpg"),
                fs.list(resolve("train/dog"), 0).entries().stream().map(DirEntry::name).toList());
        assertEquals(0.0, namesBytes(meters, "heap"));
        assertTrue(namesBytes(meters, "file") > 0);
        try (var left = Files.list(namesDir)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void pinnedDataset_withoutANamesFolder_heldOnTheHeap() throws FsException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        S3FileSystem heap = fileSystem(null, registry);
        heap.pinDataset("train", true, changes::incrementAndGet);
        store.resetCounters();

        assertEquals(4, heap.getattr(heap.lookup(heap.lookup(heap.lookup(Inode.ROOT, "train"), "cat"), "2.jpg"))
                .size());
        assertEquals(0, requests());
        assertTrue(namesBytes(registry, "heap") > 0);
        assertEquals(0.0, namesBytes(registry, "file"));
    }

    @Test
    void pinnedDataset_namesFolderUnusable_heldOnTheHeapAndServed() throws Exception {
        Path notADir = Files.writeString(namesDir.resolve("a-file"), "x");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        S3FileSystem heap = fileSystem(notADir, registry);
        heap.pinDataset("train", true, changes::incrementAndGet);

        assertEquals(3, heap.list(heap.lookup(heap.lookup(Inode.ROOT, "train"), "dog"), 0).entries().size());
        assertTrue(namesBytes(registry, "heap") > 0);
    }

    @Test
    void pinnedDataset_refreshListingTheSameNames_keepsTheListingsItHas() throws FsException {
        fs.pinDataset("train", true, changes::incrementAndGet);
        DirListing before = fs.list(resolve("train/cat"), 0);

        clock.advance(DATASET_REFRESH);
        fs.refreshDatasets();
        DirListing unchanged = fs.list(resolve("train/cat"), 0);
        store.put("data/train/cat/0.jpg", "cat0".getBytes(StandardCharsets.UTF_8));   // same bytes, a new mtime
        clock.advance(DATASET_REFRESH);
        fs.refreshDatasets();

        assertSame(before, unchanged);
        DirListing after = fs.list(resolve("train/cat"), 0);
        assertNotSame(before, after);
        assertEquals(before.entries().get(0).attributes().change(), after.entries().get(0).attributes().change());
        assertNotEquals(before.entries().get(0).attributes().mtime(), after.entries().get(0).attributes().mtime());
        assertEquals(0, changes.get(), "the same ETags and sizes: the index is not rebuilt");
    }

    @Test
    void pinnedDataset_storeListingOutOfKeyOrder_listedAgainHoldingEveryFolder_andServedTheSame() throws FsException {
        ObjectStore unordered = new ObjectStore() {
            @Override
            public String bucket() {
                return store.bucket();
            }

            @Override
            public Optional<ObjectMeta> head(String key) {
                return store.head(key);
            }

            @Override
            public ListPage list(String prefix, String delimiter, String continuationToken, int maxKeys) {
                ListPage page = store.list(prefix, delimiter, continuationToken, maxKeys);
                List<ObjectMeta> byName = new ArrayList<>(page.objects());   // cat/0, dog/0, cat/1, dog/1, ...
                byName.sort(Comparator.comparing((ObjectMeta m) -> m.key().substring(m.key().lastIndexOf('/')))
                        .thenComparing(ObjectMeta::key));
                return new ListPage(byName, page.commonPrefixes(), page.nextToken());
            }

            @Override
            public CompletableFuture<byte[]> getRange(String key, String etag, long offset, int length) {
                return store.getRange(key, etag, offset, length);
            }

            @Override
            public void close() {
            }
        };
        S3FileSystem other = new S3FileSystem(unordered, "data/", new PassThroughCache(store),
                inode -> inode.path().hashCode(), new MetadataSettings(TTL, MAX_STALE, DATASET_REFRESH,
                        MetadataSettings.DEFAULT_LISTING_CACHE_BYTES, namesDir), clock, Runnable::run,
                new SimpleMeterRegistry());

        other.pinDataset("train", true, changes::incrementAndGet);
        assertEquals(2, store.listCount(), "listed again once the order was seen to be another");
        clock.advance(DATASET_REFRESH);
        other.refreshDatasets();

        assertEquals(3, store.listCount(), "the next refresh holds every folder from the start");
        for (String cls : new String[] {"cat", "dog"}) {
            Inode d = other.lookup(other.lookup(Inode.ROOT, "train"), cls);
            assertEquals(List.of("0.jpg", "1.jpg", "2.jpg"),
                    other.list(d, 0).entries().stream().map(DirEntry::name).toList());
        }
    }

    @Test
    void pinnedDataset_pastTtlButBeforeRefresh_stillSendsNoRequest() throws FsException {
        fs.pinDataset("train", true, changes::incrementAndGet);
        resolve("train/cat/0.jpg");
        store.resetCounters();
        clock.advance(Duration.ofMinutes(4));

        fs.getattr(resolve("train/cat/1.jpg"));

        assertEquals(0, requests());
    }

    @Test
    void pinnedDataset_replacedObject_seenAtNextBulkRefreshAndReported() throws FsException {
        fs.pinDataset("train", true, changes::incrementAndGet);
        Inode f = resolve("train/cat/0.jpg");
        long before = fs.getattr(f).change();
        put("data/train/cat/0.jpg", "a longer cat");

        fs.refreshDatasets();
        assertEquals(before, fs.getattr(f).change(), "not due yet");
        clock.advance(DATASET_REFRESH);
        fs.refreshDatasets();

        assertEquals(12, fs.getattr(f).size());
        assertEquals(1, changes.get());
    }

    @Test
    void pinnedDataset_readFindingTheObjectReplaced_listsTheDatasetAgainAtTheNextRound() throws FsException {
        fs.pinDataset("train", true, changes::incrementAndGet);
        Inode f = resolve("train/dog/1.jpg");
        FileAttributes opened = fs.getattr(f);
        put("data/train/dog/1.jpg", "a replaced dog");

        FsException e = assertThrows(FsException.class, () -> fs.read(f, opened, 0, 4));
        assertEquals(FsError.STALE, e.error());
        fs.refreshDatasets();   // long before dataset-refresh is due

        assertEquals(14, fs.getattr(f).size());
        assertEquals(1, changes.get());
    }

    @Test
    void pinnedDataset_s3Unreachable_servesLastNamesUntilMaxStale() throws FsException {
        fs.pinDataset("train", true, changes::incrementAndGet);
        Inode f = resolve("train/dog/2.jpg");
        store.setUnreachable(true);
        clock.advance(Duration.ofHours(23));
        fs.refreshDatasets();

        assertEquals(4, fs.getattr(f).size());
        assertEquals(3, fs.list(dir("train/dog"), 0).entries().size());

        clock.advance(Duration.ofHours(2));
        FsException e = assertThrows(FsException.class, () -> fs.getattr(f));
        assertEquals(FsError.IO, e.error());
    }

    @Test
    void lookup_inDirectoryListedBefore_sendsNoHead() throws FsException {
        fs.list(dir("other"), 0);
        store.resetCounters();

        fs.getattr(fs.lookup(dir("other"), "a.bin"));
        fs.getattr(fs.lookup(dir("other"), "b.bin"));
        FsException e = assertThrows(FsException.class, () -> fs.lookup(dir("other"), "c.bin"));

        assertEquals(FsError.NOENT, e.error());
        assertEquals(0, requests());
    }

    @Test
    void lookup_inDirectoryNotListed_headsOnceAndFetchesTheListing() throws FsException {
        fs.lookup(dir("other"), "a.bin");
        assertEquals(1, store.headCount());
        assertEquals(1, store.listCount(), "the folder's listing is fetched while its files are being read");
        store.resetCounters();

        fs.getattr(fs.lookup(dir("other"), "b.bin"));

        assertEquals(0, requests());
    }

    @Test
    void listing_betweenTtlAndTwiceTtl_servedWhileRefreshedInBackground() throws FsException {
        fs.list(dir("other"), 0);
        put("data/other/c.bin", "c");
        clock.advance(TTL.plusSeconds(1));

        assertEquals(2, fs.list(dir("other"), 0).entries().size(), "the old listing, served at once");
        assertEquals(3, fs.list(dir("other"), 0).entries().size(), "the refreshed one");
    }

    @Test
    void listing_olderThanTwiceTtl_listedAgainBeforeAnswering() throws FsException {
        fs.list(dir("other"), 0);
        put("data/other/c.bin", "c");
        clock.advance(TTL.multipliedBy(2).plusSeconds(1));

        assertEquals(3, fs.list(dir("other"), 0).entries().size());
    }

    @Test
    void listing_s3Unreachable_servedStaleUpToMaxStaleThenIo() throws FsException {
        fs.list(dir("other"), 0);
        store.setUnreachable(true);
        clock.advance(Duration.ofHours(20));

        assertEquals(2, fs.list(dir("other"), 0).entries().size());
        assertEquals(1.0, meters.get("prefetchd.metadata.stale").counter().count());

        clock.advance(Duration.ofHours(5));
        FsException e = assertThrows(FsException.class, () -> fs.list(dir("other"), 0));
        assertEquals(FsError.IO, e.error());
    }

    @Test
    void directoryChangedThroughTheGateway_whileS3IsUnreachable_answersFromTheListingOfBefore() throws FsException {
        fs.list(dir("other"), 0);
        store.setUnreachable(true);

        fs.changed("other/c.bin");   // a file created there, held by the writable layer until S3 has it

        assertEquals(List.of("a.bin", "b.bin"), fs.list(dir("other"), 0).entries().stream().map(DirEntry::name)
                .toList());
        assertEquals("other/b.bin", fs.lookup(dir("other"), "b.bin").path());
        FsException e = assertThrows(FsException.class, () -> fs.lookup(dir("other"), "c.bin"));
        assertEquals(FsError.NOENT, e.error(), "the names of before answer, without a HEAD");
        assertEquals(0, store.headCount());
        assertTrue(meters.get("prefetchd.metadata.stale").counter().count() > 0, "counted as served stale");
    }

    @Test
    void directoryChangedThroughTheGateway_whileS3Answers_isListedAgain() throws FsException {
        fs.list(dir("other"), 0);
        put("data/other/c.bin", "c");

        fs.changed("other/c.bin");

        assertEquals("other/c.bin", fs.lookup(dir("other"), "c.bin").path());
        assertEquals(2, store.listCount());
        assertEquals(0, store.headCount(), "a folder listed before is listed again, not asked name by name");
    }

    @Test
    void lookup_s3UnreachableAndNameNeverSeen_failsWithIo() {
        store.setUnreachable(true);

        FsException e = assertThrows(FsException.class, () -> fs.lookup(dir("other"), "a.bin"));

        assertEquals(FsError.IO, e.error());
    }

    @Test
    void list_byManyClients_oneSnapshotHeldAndShared() throws FsException {
        DirListing first = fs.list(dir("other"), 0);

        DirListing again = fs.list(dir("other"), 0);
        DirListing byVerifier = fs.list(dir("other"), first.verifier());

        assertSame(first.entries(), again.entries());
        assertSame(first.entries(), byVerifier.entries());
    }

    @Test
    void list_snapshotOfBeforeARefresh_stillServedByItsVerifier_soCookiesStayValid() throws FsException {
        DirListing before = fs.list(dir("other"), 0);
        put("data/other/0.bin", "sorted first: every position after it moves");
        clock.advance(TTL.multipliedBy(2).plusSeconds(1));

        DirListing now = fs.list(dir("other"), 0);
        DirListing paged = fs.list(dir("other"), before.verifier());

        assertNotEquals(before.verifier(), now.verifier());
        assertEquals(List.of("0.bin", "a.bin", "b.bin"), now.entries().stream().map(DirEntry::name).toList());
        assertEquals(List.of("a.bin", "b.bin"), paged.entries().stream().map(DirEntry::name).toList());
    }

    @Test
    void lookup_inListedDirectory_findsEveryNameByItsBytes() throws FsException {
        put("data/other/été.bin", "u");
        put("data/other/Z.bin", "z");
        fs.list(dir("other"), 0);
        store.resetCounters();

        assertEquals("other/été.bin", fs.lookup(dir("other"), "été.bin").path());
        assertEquals("other/Z.bin", fs.lookup(dir("other"), "Z.bin").path());
        assertThrows(FsException.class, () -> fs.lookup(dir("other"), "c.bin"));
        assertEquals(0, requests());
    }
}

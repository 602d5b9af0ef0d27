package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.FsStats;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writable file system over a fake store, on a manual clock: staging, uploads, namespace changes, errors. */
class WritableFileSystemTest {
    private static final Owner ALICE = new Owner(1000, 1000, 0644);
    private static final Owner ROOT_DEFAULT = new Owner(0, 0, 0444);
    private static final Duration TTL = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore objects = new InMemoryObjectStore("bucket", clock);
    private final WritableStore store = new WritableStore(objects);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private SimpleMeterRegistry writeMeters;
    private ExtentCache cache = new PassThroughCache(store);
    private S3FileSystem base;
    private WritableFileSystem fs;

    @BeforeEach
    void setUp() {
        objects.put("data/models/old.pt", bytes("old model"));
        objects.put("data/train/a.bin", bytes("a"));
        objects.put("data/train/b.bin", bytes("b"));
        fs = open(1 << 20);
    }

    @AfterEach
    void tearDown() {
        fs.close();
    }

    private WritableFileSystem open(long capacity) {
        return open(capacity, Runnable::run);
    }

    /** @param completions where what follows an upload runs */
    private WritableFileSystem open(long capacity, java.util.concurrent.Executor completions) {
        return open(capacity, completions, MetadataSettings.withTtl(TTL));
    }

    private WritableFileSystem open(long capacity, java.util.concurrent.Executor completions,
                                    MetadataSettings metadata) {
        base = new S3FileSystem(store, "data/", cache, i -> i.path().hashCode(), metadata, clock, Runnable::run,
                meters);
        return WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(), settings(capacity), ROOT_DEFAULT,
                new Owner(0, 0, 0555), TTL.multipliedBy(2).plusMinutes(1), clock,
                completions, writeMeters = new SimpleMeterRegistry());
    }

    /**
     * Reopens the file system with what follows an upload held back, never run: uploads land in S3 and the gateway
     * "crashes" before their bookkeeping. Returns the held steps.
     */
    private List<Runnable> bookkeepingNeverRuns() {
        fs.close();
        List<Runnable> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        fs = open(1 << 20, held::add);
        return held;
    }

    /** A gateway started on the same staging folder after a crash: runs {@code test} on it, then closes it. */
    private void afterACrash(FsTest test) throws FsException {
        WritableFileSystem second = open(1 << 20);
        try {
            WritableFileSystem crashed = fs;
            fs = second;
            try {
                test.run();
            } finally {
                fs = crashed;
            }
        } finally {
            second.close();
        }
    }

    private StagingSettings settings(long capacity) {
        return new StagingSettings(tmp.resolve("staging"), capacity, Duration.ofSeconds(1), Duration.ofSeconds(30),
                5, 4, Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Inode dir(String path) {
        return new Inode(FileType.DIRECTORY, path);
    }

    private static Inode file(String path) {
        return new Inode(FileType.REGULAR, path);
    }

    private static CreateHow how(CreateHow.Mode mode) {
        return new CreateHow(mode, 0, NewAttributes.NONE);
    }

    private Inode create(String dirPath, String name) throws FsException {
        return fs.create(dir(dirPath), name, how(CreateHow.Mode.GUARDED), ALICE);
    }

    private void write(Inode f, long offset, String s, boolean durable) throws FsException {
        fs.write(f, offset, ByteBuffer.wrap(bytes(s)), durable);
    }

    private String read(Inode f) throws FsException {
        FileAttributes a = fs.getattr(f);
        return new String(fs.read(f, a, 0, (int) a.size() + 10).data(), StandardCharsets.UTF_8);
    }

    /**
     * Runs {@code test} on a file system over a real disk cache of 1 MiB in 4 KiB blocks (not the pass-through one),
     * where what enters the read cache and what is downloaded can be counted.
     */
    private void onDiskCache(FsTest test) throws FsException {
        fs.close();
        cache = DiskExtentCache.open(tmp.resolve("cache"), 1 << 20, 4096, store, new SimpleMeterRegistry(), clock);
        try {
            fs = open(1 << 20);
            test.run();
        } finally {
            fs.close();
            cache.close();
        }
    }

    @FunctionalInterface
    private interface FsTest {
        void run() throws FsException;
    }

    /**
     * Reopens the file system over a cache whose first copy of an uploaded file runs {@code duringCopy} instead of
     * copying (after the upload, before its bookkeeping); returns what that did: "done", or its exception.
     */
    private AtomicReference<Object> onFirstCacheCopy(FsTest duringCopy) {
        fs.close();
        AtomicReference<Object> outcome = new AtomicReference<>();
        cache = new PassThroughCache(store) {
            @Override
            public boolean offer(ObjectVersion object, ByteSource source) {
                if (outcome.get() == null) {
                    try {
                        duringCopy.run();
                        outcome.set("done");
                    } catch (FsException e) {
                        outcome.set(e);
                    }
                }
                return false;
            }
        };
        fs = open(1 << 20);
        return outcome;
    }

    /** Closes {@code f} and lets the upload delay pass and the upload run. */
    private void closeAndUpload(Inode f) throws FsException {
        fs.closed(f);
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
    }

    private List<String> names(String dirPath) throws FsException {
        return fs.list(dir(dirPath), 0).entries().stream().map(DirEntry::name).toList();
    }

    @Test
    void filesCreatedInADirectory_holdNoCopyOfItsListingPerChange_onlyTheOneAReaddirHandsOut() throws FsException {
        int files = 300;
        fs.mkdir(Inode.ROOT, "shards", NewAttributes.NONE, ALICE);
        for (int i = 0; i < files; i++) {
            fs.getattr(dir("shards"));   // the directory's change attribute before and after, as OPEN's change_info
            create("shards", "part-" + i + ".bin");
            fs.getattr(dir("shards"));
        }
        assertEquals(0, fs.heldListingBytes(), "no READDIR, so no listing held for paging");
        for (int i = 0; i < 100; i++) {
            closeAndUpload(fs.lookup(dir("shards"), "part-" + i + ".bin"));
        }
        for (int i = 0; i < 100; i++) {   // removing an uploaded file checks what else its directory holds
            fs.getattr(dir("shards"));
            fs.remove(dir("shards"), "part-" + i + ".bin");
            fs.getattr(dir("shards"));
        }
        assertEquals(0, fs.heldListingBytes(), "removals hold no listing either");
        files -= 100;

        DirListing listed = fs.list(dir("shards"), 0);

        assertEquals(files, listed.entries().size());
        assertEquals(listed.retainedBytes(), fs.heldListingBytes(),
                "one listing held for the READDIR's cookies, not one per file created");
        assertEquals(listed.verifier(), fs.getattr(dir("shards")).change(),
                "the change attribute is the verifier of the listing a READDIR gets");
    }

    @Test
    void directoryListedAfterEveryFileCreatedInIt_holdsItsListingsWithinTheListingBudget() throws FsException {
        long budget = 256 << 10;
        fs.close();
        fs = open(1 << 20, Runnable::run, new MetadataSettings(TTL, MetadataSettings.DEFAULT_MAX_STALE,
                MetadataSettings.DEFAULT_DATASET_REFRESH, budget, null));
        fs.mkdir(Inode.ROOT, "logs", NewAttributes.NONE, ALICE);
        long listed = 0;
        for (int i = 0; i < 300; i++) {
            create("logs", "step-" + i + ".json");
            listed += fs.list(dir("logs"), 0).retainedBytes();   // a job that polls the folder it writes to
        }

        assertTrue(listed > 4 * budget, "the listings handed out add up to " + listed + " bytes");
        assertTrue(fs.heldListingBytes() <= budget, fs.heldListingBytes() + " bytes held for paging");
        assertTrue(fs.heldListingBytes() > 0, "the latest listings are held");
    }

    @Test
    void create_showsInLookupGetattrAndReaddirAtOnce() throws FsException {
        Inode f = create("models", "ckpt.pt");

        assertEquals(f, fs.lookup(dir("models"), "ckpt.pt"));
        assertEquals(0, fs.getattr(f).size());
        assertEquals(ALICE, fs.getattr(f).owner());
        assertEquals(List.of("ckpt.pt", "old.pt"), names("models"));
        assertEquals(0, store.uploads.get());
    }

    @Test
    void write_thenRead_servesStagedBytesAndSize() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "hello ", false);
        write(f, 6, "world", true);

        assertEquals(11, fs.getattr(f).size());
        assertEquals("hello world", read(f));
    }

    @Test
    void statfs_showsWhatTheStagingAreaCanStillTake_andFreeFiles() throws FsException {
        fs.close();
        fs = open(1000);
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "0123456789", false);

        FsStats s = fs.statfs();

        assertEquals(1000, s.totalBytes());
        assertEquals(990, s.freeBytes(), "a write past what is left is NOSPC");
        assertTrue(s.freeFiles() > 0 && s.freeFiles() == s.totalFiles(), "S3 counts no objects: " + s);
    }

    @Test
    void write_changesTheChangeAttribute() throws FsException {
        Inode f = create("models", "ckpt.pt");
        long before = fs.getattr(f).change();
        write(f, 0, "x", false);

        assertNotEquals(before, fs.getattr(f).change());
    }

    @Test
    void closed_uploadsAfterTheDelay_withOwnerMetadata_andDropsTheStagedFile() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "weights", false);
        fs.closed(f);
        fs.runUploads();
        assertEquals(0, store.uploads.get(), "not before the upload delay");

        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();

        assertEquals("weights", store.content("data/models/ckpt.pt"));
        assertEquals("33188", store.metadata("data/models/ckpt.pt").get("mode"));   // S_IFREG | 0644
        assertEquals("1000", store.metadata("data/models/ckpt.pt").get("uid"));
        assertEquals(0, fs.status().pending().size());
        assertEquals(0, fs.status().stagedBytes());
        assertEquals("weights", read(f));
        assertEquals(ALICE, fs.getattr(f).owner());
    }

    /**
     * The end of an upload drops the staged file under its monitor, so a read of the staged file at that very
     * moment reads it whole before it goes, and a read pinned to the staged version after it went reads the object it
     * became (a read-only OPEN pinned it while staged; the folder's listing, cached before the upload, does not hold
     * the new object).
     */
    @Test
    void readPinnedToTheStagedVersion_whileTheUploadEnds_readsTheUploadedObject() throws Exception {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "weights", false);
        fs.closed(f);
        FileAttributes pinned = fs.getattr(f);
        names("models");   // the read-only view caches the listing without ckpt.pt
        clock.advance(Duration.ofSeconds(2));
        store.holdUploads();
        fs.runUploads();

        StagingArea area = fs.area();
        StagedFile staged = area.byPath(f.path());
        Thread uploadEnd = new Thread(store::releaseUploads, "upload-end");
        CountDownLatch holding = new CountDownLatch(1);
        AtomicReference<Object> readBack = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            synchronized (staged) {   // the upload's end stops where it would retire the staged file
                holding.countDown();
                awaitBlocked(uploadEnd);
                try {
                    readBack.set(new String(fs.read(f, pinned, 0, 100).data(), StandardCharsets.UTF_8));
                } catch (FsException | RuntimeException e) {
                    readBack.set(e);
                }
            }
        }, "reader");
        synchronized (area) {   // the upload's end waits here until the reader holds the staged file
            uploadEnd.start();
            awaitBlocked(uploadEnd);
            reader.start();
            holding.await();
        }
        reader.join(10_000);
        uploadEnd.join(10_000);

        assertEquals("weights", readBack.get() instanceof FsException e ? e.error() + ": " + e.getMessage()
                : readBack.get());
        assertNull(area.byPath(f.path()), "the upload's end went on once the read was done");
        assertEquals("weights", new String(fs.read(f, pinned, 0, 100).data(), StandardCharsets.UTF_8));
        assertEquals("weights", read(f));
    }

    /** Spins until {@code t} waits for a monitor (a state, not a time, is awaited). */
    private static void awaitBlocked(Thread t) {
        while (t.getState() != Thread.State.BLOCKED) {
            if (!t.isAlive() && t.getState() == Thread.State.TERMINATED) {
                throw new AssertionError(t.getName() + " ended without waiting");
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void upload_ofNewFile_isConditionalOnNoObject_andLastCloseWinsOnConflict() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "mine", false);
        objects.put("data/models/ckpt.pt", bytes("someone else's"));

        closeAndUpload(f);
        assertEquals("someone else's", store.content("data/models/ckpt.pt"), "refused by If-None-Match");
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();

        assertEquals("mine", store.content("data/models/ckpt.pt"));
        assertEquals(1.0, writeMeters.get("prefetchd.upload.conflicts").counter().count());
    }

    @Test
    void failedUpload_keepsTheStagedFile_andRetriesWithBackoffUntilS3HasIt() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "precious", true);
        store.failUploads(3);

        closeAndUpload(f);
        assertEquals(1, store.uploads.get());
        assertEquals(1, fs.status().pending().size());
        assertEquals(1, fs.status().pending().get(0).failures());
        assertTrue(fs.status().lastError().contains("injected 503"));
        assertEquals("precious", read(f));

        fs.runUploads();
        assertEquals(1, store.uploads.get(), "waits out its backoff");
        clock.advance(Duration.ofSeconds(1));
        fs.runUploads();   // second failure, next wait 2 s
        clock.advance(Duration.ofSeconds(1));
        fs.runUploads();
        assertEquals(2, store.uploads.get());
        clock.advance(Duration.ofSeconds(1));
        fs.runUploads();   // third failure, next wait 4 s
        assertEquals(3, store.uploads.get());
        assertNull(store.content("data/models/ckpt.pt"));
        assertEquals(1, fs.status().pending().size());

        clock.advance(Duration.ofSeconds(4));
        fs.runUploads();
        assertEquals("precious", store.content("data/models/ckpt.pt"));
        assertEquals(0, fs.status().pending().size());
    }

    @Test
    void uploadWhileS3IsUnreachable_isRetriedAtTheShortestWait_soItGoesUpRightAfterS3Returns() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "precious", true);
        store.failUploads(6, ObjectStoreException.Kind.UNREACHABLE);

        closeAndUpload(f);
        for (int attempt = 2; attempt <= 7; attempt++) {
            clock.advance(Duration.ofSeconds(1));   // a doubled backoff would wait 2, 4, 8, 16 and 32 s
            fs.runUploads();
            assertEquals(attempt, store.uploads.get(), "attempt " + attempt + " one second after the last");
        }

        assertEquals("precious", store.content("data/models/ckpt.pt"));
        assertEquals(0, fs.status().pending().size());
    }

    @Test
    void uploadFailingWithoutAMessage_countsAsAFailure_namedByItsType_andIsRetried() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "precious", true);
        store.failUploadsWithoutMessage(1);

        closeAndUpload(f);

        assertEquals(1, fs.status().pending().size(), "a failed upload stays staged");
        assertEquals(1, fs.status().pending().get(0).failures());
        assertTrue(fs.status().pending().get(0).lastError().contains("IllegalStateException"),
                fs.status().pending().get(0).lastError());
        clock.advance(Duration.ofMinutes(5));   // past any backoff
        fs.runUploads();
        assertEquals("precious", store.content("data/models/ckpt.pt"));
        assertEquals(0, fs.status().pending().size());
    }

    @Test
    void write_beyondTheStagingBudget_isNospc_andKeepsWhatWasAcknowledged() throws FsException {
        fs.close();
        fs = open(10);
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "12345678", true);

        FsException e = assertThrows(FsException.class, () -> write(f, 8, "abc", true));

        assertEquals(FsError.NOSPC, e.error());
        assertEquals("12345678", read(f));
        assertEquals(8, fs.status().stagedBytes());
    }

    @Test
    void uploads_freeTheBudget() throws FsException {
        fs.close();
        fs = open(10);
        Inode f = create("models", "a.pt");
        write(f, 0, "12345678", true);
        closeAndUpload(f);

        Inode g = create("models", "b.pt");
        write(g, 0, "12345678", true);

        assertEquals("12345678", read(g));
    }

    @Test
    void createGuarded_ofExistingName_isExist() {
        FsException e = assertThrows(FsException.class, () -> create("models", "old.pt"));

        assertEquals(FsError.EXIST, e.error());
    }

    @Test
    void createExclusive_sameVerifierAgain_isTheSameFile_otherVerifierIsExist() throws FsException {
        Inode f = fs.create(dir("models"), "x.pt", new CreateHow(CreateHow.Mode.EXCLUSIVE, 42, NewAttributes.NONE),
                ALICE);
        write(f, 0, "data", false);

        assertEquals(f, fs.create(dir("models"), "x.pt",
                new CreateHow(CreateHow.Mode.EXCLUSIVE, 42, NewAttributes.NONE), ALICE));
        assertEquals("data", read(f));
        FsException e = assertThrows(FsException.class, () -> fs.create(dir("models"), "x.pt",
                new CreateHow(CreateHow.Mode.EXCLUSIVE, 43, NewAttributes.NONE), ALICE));
        assertEquals(FsError.EXIST, e.error());
    }

    @Test
    void createUnchecked_withSizeZero_truncatesAnExistingObject_withoutDownloadingIt() throws FsException {
        NewAttributes truncate = new NewAttributes(OptionalLong.of(0), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
        objects.resetCounters();

        Inode f = fs.create(dir("models"), "old.pt", new CreateHow(CreateHow.Mode.UNCHECKED, 0, truncate), ALICE);

        assertEquals(0, fs.getattr(f).size());
        assertEquals(0, objects.getCount());
        write(f, 0, "new", false);
        closeAndUpload(f);
        assertEquals("new", store.content("data/models/old.pt"));
    }

    @Test
    void create_ofADirectoryName_isIsdirUnchecked_existGuarded() {
        assertEquals(FsError.ISDIR, assertThrows(FsException.class, () -> fs.create(Inode.ROOT, "models",
                how(CreateHow.Mode.UNCHECKED), ALICE)).error());
        assertEquals(FsError.EXIST, assertThrows(FsException.class, () -> fs.create(Inode.ROOT, "models",
                how(CreateHow.Mode.GUARDED), ALICE)).error());
    }

    @Test
    void write_toAnUploadedObject_copiesItIntoStagingFirst() throws FsException {
        write(file("models/old.pt"), 0, "NEW", false);

        assertEquals("NEW model", read(file("models/old.pt")));
        closeAndUpload(file("models/old.pt"));
        assertEquals("NEW model", store.content("data/models/old.pt"));
    }

    @Test
    void setattrSize_extendsWithZerosAndTruncates() throws FsException {
        Inode f = file("models/old.pt");
        fs.setattr(f, new NewAttributes(OptionalLong.of(3), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()));
        assertEquals("old", read(f));

        fs.setattr(f, new NewAttributes(OptionalLong.of(5), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()));

        assertArrayEquals(new byte[] {'o', 'l', 'd', 0, 0}, fs.read(f, fs.getattr(f), 0, 10).data());
    }

    @Test
    void setattrMode_isShownAndUploaded() throws FsException {
        Inode f = create("models", "ckpt.pt");
        fs.setattr(f, new NewAttributes(OptionalLong.empty(), Optional.of(0600), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()));

        assertEquals(0600, fs.getattr(f).owner().mode());
        closeAndUpload(f);
        assertEquals(Integer.toString(0100600), store.metadata("data/models/ckpt.pt").get("mode"));
        assertEquals(0600, fs.getattr(f).owner().mode());
    }

    @Test
    void setattrModeAndMtime_ofAFileJustUploaded_areShownAtOnce() throws FsException {
        Inode f = create("", "new.txt");
        write(f, 0, "hello", true);
        closeAndUpload(f);
        assertEquals("hello", store.content("data/new.txt"));
        Instant then = Instant.parse("2020-02-03T04:05:06Z");

        fs.setattr(f, new NewAttributes(OptionalLong.empty(), Optional.of(0600), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(then)));

        FileAttributes a = fs.getattr(f);
        assertEquals(0600, a.owner().mode());
        assertEquals(then, a.mtime());
    }

    @Test
    void mkdir_putsAFolderMarker_andShowsAtOnce_secondTimeIsExist() throws FsException {
        Inode d = fs.mkdir(dir("models"), "run1", NewAttributes.NONE, ALICE);

        assertTrue(objects.head("data/models/run1/").isPresent());
        assertEquals(d, fs.lookup(dir("models"), "run1"));
        assertTrue(names("models").contains("run1"));
        assertEquals(FsError.EXIST, assertThrows(FsException.class,
                () -> fs.mkdir(dir("models"), "run1", NewAttributes.NONE, ALICE)).error());
        Inode f = create("models/run1", "ckpt.pt");
        assertEquals(List.of("ckpt.pt"), names("models/run1"));
        assertEquals(FileType.REGULAR, fs.getattr(f).type());
    }

    @Test
    void remove_ofAnObject_deletesItAndTheNameIsGoneAtOnce() throws FsException {
        fs.list(dir("models"), 0);   // the listing is cached
        fs.remove(dir("models"), "old.pt");

        assertFalse(objects.head("data/models/old.pt").isPresent());
        assertEquals(FsError.NOENT, assertThrows(FsException.class,
                () -> fs.lookup(dir("models"), "old.pt")).error());
        assertEquals(List.of(), names("models"));
    }

    @Test
    void remove_ofAStagedFile_dropsItWithoutAnUpload() throws FsException {
        Inode f = create("models", "tmp.pt");
        write(f, 0, "x", true);
        fs.remove(dir("models"), "tmp.pt");
        fs.closed(f);
        clock.advance(Duration.ofSeconds(5));
        fs.runUploads();

        assertEquals(0, store.uploads.get());
        assertEquals(0, fs.status().stagedBytes());
        assertEquals(List.of("old.pt"), names("models"));
    }

    @Test
    void remove_ofANonEmptyDirectory_isNotempty_ofAnEmptyOne_deletesItsMarker() throws FsException {
        assertEquals(FsError.NOTEMPTY, assertThrows(FsException.class,
                () -> fs.remove(Inode.ROOT, "train")).error());
        fs.mkdir(Inode.ROOT, "empty", NewAttributes.NONE, ALICE);
        Inode f = create("empty", "staged");
        assertEquals(FsError.NOTEMPTY, assertThrows(FsException.class,
                () -> fs.remove(Inode.ROOT, "empty")).error(), "a staged file counts");
        fs.remove(dir("empty"), "staged");

        fs.remove(Inode.ROOT, "empty");

        assertFalse(objects.head("data/empty/").isPresent());
        assertFalse(names("").contains("empty"));
    }

    @Test
    void remove_ofAMissingName_isNoent() {
        assertEquals(FsError.NOENT, assertThrows(FsException.class,
                () -> fs.remove(dir("models"), "nope")).error());
    }

    @Test
    void rename_ofAStagedFile_happensInStaging_andOnlyTheNewNameIsUploaded() throws FsException {
        Inode tmpFile = create("models", "ckpt.pt.tmp");
        write(tmpFile, 0, "state", true);
        fs.closed(tmpFile);
        fs.rename(dir("models"), "ckpt.pt.tmp", dir("models"), "old.pt");   // os.replace over an object

        assertEquals(List.of("old.pt"), names("models"));
        assertEquals("state", read(file("models/old.pt")));
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        assertEquals("state", store.content("data/models/old.pt"));
        assertNull(store.content("data/models/ckpt.pt.tmp"));
        assertEquals(0, store.copies.get());
    }

    @Test
    void rename_ofAnUploadedObject_copiesThenDeletes() throws FsException {
        fs.rename(dir("models"), "old.pt", dir("train"), "moved.pt");

        assertEquals(1, store.copies.get());
        assertEquals("old model", store.content("data/train/moved.pt"));
        assertNull(store.content("data/models/old.pt"));
        assertEquals(List.of(), names("models"));
        assertEquals(List.of("a.bin", "b.bin", "moved.pt"), names("train"));
    }

    @Test
    void rename_ofADirectory_movesEveryKey_andShowsAtOnce() throws FsException {
        Inode staged = create("train", "c.bin");
        write(staged, 0, "c", true);

        fs.rename(Inode.ROOT, "train", Inode.ROOT, "train2");

        assertEquals("a", store.content("data/train2/a.bin"));
        assertNull(store.content("data/train/a.bin"));
        assertEquals(List.of("a.bin", "b.bin", "c.bin"), names("train2"));
        assertEquals(FsError.NOENT, assertThrows(FsException.class,
                () -> fs.lookup(Inode.ROOT, "train")).error());
        closeAndUpload(file("train2/c.bin"));
        assertEquals("c", store.content("data/train2/c.bin"));
    }

    @Test
    void rename_ofANewFolderOfNewFiles_asCheckpointsAreWritten_movesThemAll() throws FsException {
        fs.mkdir(Inode.ROOT, "run", NewAttributes.NONE, ALICE);
        fs.mkdir(dir("run"), "step.tmp", NewAttributes.NONE, ALICE);
        Inode state = create("run/step.tmp", "state.pt");
        write(state, 0, "state", true);
        fs.closed(state);
        Inode meta = create("run/step.tmp", "meta.json");
        write(meta, 0, "meta", false);
        fs.closed(meta);

        fs.rename(dir("run"), "step.tmp", dir("run"), "step-10");

        assertEquals(List.of("step-10"), names("run"));
        assertEquals(List.of("meta.json", "state.pt"), names("run/step-10"));
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        assertEquals("state", store.content("data/run/step-10/state.pt"));
        assertEquals("meta", store.content("data/run/step-10/meta.json"));
        assertNull(store.content("data/run/step.tmp/state.pt"));
    }

    @Test
    void rename_ofADirectoryWithTooManyKeys_isXdev_andChangesNothing() throws FsException {
        for (int i = 0; i < 6; i++) {
            objects.put("data/big/" + i, bytes("x"));
        }

        FsException e = assertThrows(FsException.class, () -> fs.rename(Inode.ROOT, "big", Inode.ROOT, "big2"));

        assertEquals(FsError.XDEV, e.error());
        assertEquals(0, store.copies.get());
        assertEquals(6, names("big").size());
    }

    @Test
    void rename_errors_followPosix() throws FsException {
        assertEquals(FsError.ISDIR, assertThrows(FsException.class,
                () -> fs.rename(dir("models"), "old.pt", Inode.ROOT, "train")).error());
        assertEquals(FsError.NOTDIR, assertThrows(FsException.class,
                () -> fs.rename(Inode.ROOT, "train", dir("models"), "old.pt")).error());
        assertEquals(FsError.NOTEMPTY, assertThrows(FsException.class,
                () -> fs.rename(Inode.ROOT, "models", Inode.ROOT, "train")).error());
        assertEquals(FsError.INVAL, assertThrows(FsException.class,
                () -> fs.rename(Inode.ROOT, "train", dir("train"), "inside")).error());
        assertEquals(FsError.NOENT, assertThrows(FsException.class,
                () -> fs.rename(dir("models"), "nope", dir("models"), "x")).error());
    }

    /** Writes models/tmp, closes it and holds its upload, then renames it to models/final; returns that file. */
    private Inode renamedWhileUploading() throws FsException {
        Inode f = create("models", "tmp");
        write(f, 0, "state", true);
        store.holdUploads();
        closeAndUpload(f);
        fs.rename(dir("models"), "tmp", dir("models"), "final");   // os.replace right after the close
        return file("models/final");
    }

    @Test
    void renameDuringUpload_copiesTheObjectToTheNewName_insteadOfUploadingItAgain() throws FsException {
        renamedWhileUploading();

        store.releaseUploads();

        assertEquals("state", store.content("data/models/final"));
        assertNull(store.content("data/models/tmp"), "nothing stays under the old name");
        assertEquals(0, fs.status().pending().size(), "S3 has the file under its new name: nothing is left to upload");
        assertEquals(1, store.uploads.get());
        assertEquals(1, store.copies.get());
        assertEquals(1.0, writeMeters.get("prefetchd.upload.moved").counter().count());
        assertEquals("state", read(file("models/final")));
    }

    @Test
    void renameDuringUpload_whenTheCopyFails_uploadsTheFileAgainUnderItsNewName() throws FsException {
        renamedWhileUploading();
        store.failCopiesAfter(0);

        store.releaseUploads();
        assertNull(store.content("data/models/tmp"), "the object under the old name is deleted all the same");
        assertEquals(1, fs.status().pending().size());
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        store.releaseUploads();

        assertEquals("state", store.content("data/models/final"));
        assertEquals(0, fs.status().pending().size());
        assertEquals(2, store.uploads.get());
    }

    @Test
    void renameDuringUpload_thenANewFileUnderTheOldName_replacesTheObjectLeftThere() throws FsException {
        renamedWhileUploading();
        Inode next = create("models", "tmp");   // the next checkpoint, under the temporary name again
        write(next, 0, "state 2", true);
        fs.closed(next);

        store.releaseUploads();   // the first lands under tmp: copied to final, the object under tmp left to next
        assertEquals("state", store.content("data/models/final"));
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();

        assertEquals("state 2", store.content("data/models/tmp"));
        assertEquals(0, fs.status().pending().size());
        assertEquals(0.0, writeMeters.get("prefetchd.upload.conflicts").counter().count(),
                "the new file replaces the object its name held (If-Match), not a conflict");
    }

    /**
     * A file renamed over another name uploads unconditionally; renamed again (to models/q) while that upload is in
     * flight, its upload still lands under models/k, the name it left.
     */
    private void unconditionalUploadInFlightUnderK() throws FsException {
        Inode f = create("models", "a");
        write(f, 0, "first", true);
        fs.rename(dir("models"), "a", dir("models"), "k");   // unconditional from now on
        store.holdUploads();
        closeAndUpload(file("models/k"));
        fs.rename(dir("models"), "k", dir("models"), "q");
    }

    /**
     * A newer file staged under the name of an upload in flight must not go up before it: landing first, it would be
     * overwritten, then deleted with what the first left there.
     */
    @Test
    void aNewFileUnderTheNameOfAnUnconditionalUploadInFlight_goesUpAfterIt_andStays() throws FsException {
        unconditionalUploadInFlightUnderK();
        Inode next = create("models", "k");
        write(next, 0, "second", true);
        store.stopHolding();
        closeAndUpload(next);   // must wait: the first file's upload to models/k is in flight

        store.releaseUploads();   // the first lands under models/k, is copied to q and deleted under k
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();

        assertEquals("second", store.content("data/models/k"), "the acknowledged newer file is in S3");
        assertEquals("first", store.content("data/models/q"));
        assertEquals(0, fs.status().pending().size());
        assertEquals("second", read(file("models/k")));
    }

    @Test
    void drainUploads_waitsForTheUploadInFlightToLandAndBeRecorded_andStartsNoOther() throws Exception {
        Inode saved = create("models", "ckpt");
        write(saved, 0, "saved", true);
        store.holdUploads();
        closeAndUpload(saved);   // in flight until released
        Inode later = create("models", "later");
        write(later, 0, "later", true);
        fs.closed(later);
        java.util.concurrent.CompletableFuture<Void> drained = java.util.concurrent.CompletableFuture.runAsync(
                () -> fs.drainUploads(Duration.ofSeconds(30)));
        assertThrows(java.util.concurrent.TimeoutException.class,
                () -> drained.get(300, java.util.concurrent.TimeUnit.MILLISECONDS), "waits for the upload in flight");

        store.releaseUploads();   // lands, and its bookkeeping runs, while the stop waits for it
        drained.get(30, java.util.concurrent.TimeUnit.SECONDS);
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();

        assertEquals("saved", store.content("data/models/ckpt"));
        assertEquals(List.of("models/later"), fs.status().pending().stream().map(StagingStatus.Pending::path).toList(),
                "the upload that ended is recorded; none starts once the stop began");
        assertNull(store.content("data/models/later"));
    }

    @Test
    void aRenameOntoANameWhoseUploadIsInFlight_answersDelay_untilItLanded() throws FsException {
        unconditionalUploadInFlightUnderK();
        assertEquals(FsError.DELAY, assertThrows(FsException.class,
                () -> fs.rename(dir("models"), "old.pt", dir("models"), "k")).error());

        store.releaseUploads();
        fs.rename(dir("models"), "old.pt", dir("models"), "k");

        assertEquals("old model", store.content("data/models/k"), "not overwritten, then deleted, by the first");
        assertEquals("first", store.content("data/models/q"));
    }

    @Test
    void aPutOntoANameWhoseUploadIsInFlight_answersDelay_untilItLanded() throws Exception {
        unconditionalUploadInFlightUnderK();
        Path theirs = tmp.resolve("theirs");
        Files.writeString(theirs, "put");
        store.stopHolding();   // the first file's upload stays in flight
        assertEquals(FsError.DELAY, assertThrows(FsException.class, () -> fs.put(file("models/k"), theirs, null,
                Instant.ofEpochSecond(1000), java.util.Map.of())).error());

        store.releaseUploads();
        fs.put(file("models/k"), theirs, null, Instant.ofEpochSecond(1000), java.util.Map.of());

        assertEquals("put", store.content("data/models/k"));
        assertEquals("first", store.content("data/models/q"));
    }

    /**
     * A file staged over an object and moved with its directory goes up only once the move has copied that object:
     * landing before the copy, it would be overwritten by the older bytes, and then retired.
     */
    @Test
    void aStagedFileMovedWithItsDirectory_goesUpAfterTheMoveCopiedTheObjectItReplaces() throws Exception {
        List<Runnable> held = bookkeepingNeverRuns();
        NewAttributes truncate = new NewAttributes(OptionalLong.of(0), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
        Inode f = fs.create(dir("models"), "old.pt", new CreateHow(CreateHow.Mode.UNCHECKED, 0, truncate), ALICE);
        write(f, 0, "new", true);
        fs.closed(f);
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        store.holdCopies(copying, go);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread rename = new Thread(() -> {
            try {
                fs.rename(Inode.ROOT, "models", Inode.ROOT, "archive");
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        rename.start();
        try {
            assertTrue(copying.await(30, TimeUnit.SECONDS));
            int uploads = store.uploads.get();   // folder markers the move put anew
            clock.advance(Duration.ofSeconds(2));
            fs.runUploads();   // due, but archive/ is held by the move
            assertEquals(uploads, store.uploads.get(), "no upload under the directory's new name during the move");
        } finally {
            store.holdCopies(new CountDownLatch(1), new CountDownLatch(0));
            go.countDown();
            rename.join(30_000);
        }
        assertNull(failed.get());
        fs.runUploads();
        held.forEach(Runnable::run);

        assertEquals("new", store.content("data/archive/old.pt"));
        assertNull(store.content("data/models/old.pt"));
    }

    @Test
    void renameDuringUpload_thenANewFileUnderTheOldNameRemoved_leavesNothingThere() throws FsException {
        renamedWhileUploading();
        Inode next = create("models", "tmp");
        write(next, 0, "state 2", true);

        store.releaseUploads();
        fs.remove(dir("models"), "tmp");

        assertNull(store.content("data/models/tmp"), "the object left under tmp goes with the file that took it");
        assertEquals("state", store.content("data/models/final"));
    }

    @Test
    void aCrashWhileARenamedFilesUploadIsCopied_leavesNothingUnderTheOldName() throws Exception {
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch crashed = new CountDownLatch(1);
        store.holdCopies(copying, crashed);
        renamedWhileUploading();
        Thread landing = new Thread(store::releaseUploads);   // lands under tmp, then its copy hangs
        landing.start();
        try {
            assertTrue(copying.await(30, TimeUnit.SECONDS));
            assertEquals("state", store.content("data/models/tmp"));

            // killed while copying: a new file system opens the same staging folder
            WritableFileSystem second = open(1 << 20);
            try {
                assertNull(store.content("data/models/tmp"), "the object the crash left under tmp is deleted");
                clock.advance(Duration.ofSeconds(2));
                second.runUploads();
                assertEquals("state", store.content("data/models/final"));
                assertEquals(0, second.status().pending().size());
            } finally {
                second.close();
            }
        } finally {
            crashed.countDown();
            landing.join(30_000);
        }
    }

    @Test
    void aFileRemovedWhileItUploads_doesNotComeBack_afterACrashBeforeItsObjectIsDeleted() throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "tmp");
        write(f, 0, "state", true);
        store.holdUploads();
        closeAndUpload(f);
        fs.remove(dir("models"), "tmp");

        store.releaseUploads();   // S3 has it now; the gateway crashes before it deletes it
        assertEquals("state", store.content("data/models/tmp"));
        assertEquals(1, held.size(), "the upload's bookkeeping never ran");

        afterACrash(() -> {
            assertNull(store.content("data/models/tmp"), "the removed file is deleted from S3 at the next start");
            assertFalse(names("models").contains("tmp"));
            assertEquals(0, fs.status().pending().size());
        });
    }

    @Test
    void aFileRenamedWhileItUploads_leavesNothingUnderTheOldName_afterACrashBeforeItsCopy() throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        renamedWhileUploading();

        store.releaseUploads();   // lands under tmp; the gateway crashes before the copy to final
        assertEquals("state", store.content("data/models/tmp"));
        assertEquals(1, held.size());

        afterACrash(this::tmpIsDeleted_andFinalUploaded);
    }

    @Test
    void aFileRenamedAfterItsUploadLanded_leavesNothingUnderTheOldName_afterACrashBeforeItsBookkeeping()
            throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "tmp");
        write(f, 0, "state", true);
        closeAndUpload(f);   // lands at once; its bookkeeping waits for a thread
        assertEquals("state", store.content("data/models/tmp"));
        fs.rename(dir("models"), "tmp", dir("models"), "final");
        assertEquals(1, held.size());

        afterACrash(this::tmpIsDeleted_andFinalUploaded);
    }

    /** After a crash: nothing is left under models/tmp, and the file renamed from it goes up as models/final. */
    private void tmpIsDeleted_andFinalUploaded() throws FsException {
        assertNull(store.content("data/models/tmp"), "the object left under the old name is deleted");
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        assertEquals("state", store.content("data/models/final"));
        assertEquals(0, fs.status().pending().size());
    }

    @Test
    void aFileWhoseUploadLandedReplacedByARename_thenRemoved_doesNotComeBack_afterACrash() throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "a");
        write(f, 0, "old", true);
        closeAndUpload(f);   // lands at once; its bookkeeping waits
        Inode g = create("models", "g");
        write(g, 0, "new", true);
        fs.rename(dir("models"), "g", dir("models"), "a");   // replaces the file whose upload landed
        fs.remove(dir("models"), "a");
        assertEquals("old", store.content("data/models/a"));
        assertEquals(1, held.size());

        afterACrash(() -> assertNull(store.content("data/models/a"), "neither file is there: nothing comes back"));
    }

    @Test
    void aFileRenamedAwayAndBackWhileItsBookkeepingWaits_staysInS3_afterItIsUploadedAgainAndACrash()
            throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "a");
        write(f, 0, "state", true);
        closeAndUpload(f);   // lands at once; its bookkeeping waits
        fs.rename(dir("models"), "a", dir("models"), "b");
        fs.rename(dir("models"), "b", dir("models"), "a");
        held.forEach(Runnable::run);
        held.clear();
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();   // the same bytes again: the same ETag
        held.forEach(Runnable::run);
        assertEquals(0, fs.status().pending().size());

        afterACrash(() -> assertEquals("state", store.content("data/models/a"),
                "the file's object is not taken for what its first upload left there"));
    }

    @Test
    void theCopyOfAFileRenamedWhileItUploads_renamedAgainBeforeItsBookkeepingEnds_isNotLeftBehindByACrash() {
        AtomicReference<String> finalAfterACrash = new AtomicReference<>("not looked at");
        AtomicReference<Object> outcome = onFirstCacheCopy(() -> {   // copied to final; its bookkeeping goes on
            fs.rename(dir("models"), "final", dir("models"), "other");
            afterACrash(() -> finalAfterACrash.set(String.valueOf(store.content("data/models/final"))));
        });
        try {
            renamedWhileUploading();
        } catch (FsException e) {
            throw new AssertionError(e);
        }

        store.releaseUploads();

        assertEquals("done", outcome.get());
        assertEquals("null", finalAfterACrash.get(), "the copy under the name the file left is deleted at the start");
    }

    @Test
    void aPutOntoANameWithAnObjectLeftThere_isNotTakenForIt_atTheStartThatFoundIt() throws Exception {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "tmp");
        write(f, 0, "state", true);
        store.holdUploads();
        closeAndUpload(f);
        fs.remove(dir("models"), "tmp");
        store.releaseUploads();   // left under tmp, journaled; the gateway crashes
        assertEquals(1, held.size());

        fs.close();
        List<Runnable> atStart = new java.util.concurrent.CopyOnWriteArrayList<>();
        fs = open(1 << 20, atStart::add);   // its deletion of what was left waits for a thread
        Path same = tmp.resolve("same");
        Files.writeString(same, "state");   // a client puts the same bytes under that name: the same ETag
        fs.put(file("models/tmp"), same, null, Instant.ofEpochSecond(1000), java.util.Map.of());
        atStart.forEach(Runnable::run);

        assertEquals("state", store.content("data/models/tmp"), "the acknowledged PUT stays");
    }

    @Test
    void anObjectLeftInADirectory_isDeletedNotMoved_whenTheDirectoryIsRenamed() throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "tmp");
        write(f, 0, "state", true);
        store.holdUploads();
        closeAndUpload(f);
        fs.remove(dir("models"), "tmp");
        store.releaseUploads();   // left under models/tmp; its bookkeeping waits
        fs.rename(Inode.ROOT, "models", Inode.ROOT, "archive");

        held.forEach(Runnable::run);

        assertNull(store.content("data/models/tmp"));
        assertNull(store.content("data/archive/tmp"), "the removed file is not moved with the directory");
        assertEquals("old model", store.content("data/archive/old.pt"));
    }

    @Test
    void anObjectLeftUnderARenamedFilesOldName_isNotDeleted_onceSomeoneElseReplacedIt() throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        renamedWhileUploading();
        store.releaseUploads();   // lands under tmp; its bookkeeping waits
        objects.put("data/models/tmp", bytes("theirs"));   // another S3 client writes the same name meanwhile

        held.forEach(Runnable::run);   // the copy to final is refused (tmp changed), and tmp is left alone
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        store.releaseUploads();

        assertEquals("theirs", store.content("data/models/tmp"), "what someone else put there is kept");
        assertEquals("state", store.content("data/models/final"));
    }

    @Test
    void anUploadThatLandedForAFileStillThere_isKept_afterACrashBeforeItsBookkeeping() throws FsException {
        List<Runnable> held = bookkeepingNeverRuns();
        Inode f = create("models", "kept");
        write(f, 0, "state", true);
        closeAndUpload(f);
        assertEquals(1, held.size());

        afterACrash(() -> {
            assertEquals("state", store.content("data/models/kept"), "not taken for a stray");
            clock.advance(Duration.ofSeconds(2));
            fs.runUploads();   // still staged: uploaded again, the same bytes
            assertEquals("state", store.content("data/models/kept"));
            assertEquals(0, fs.status().pending().size());
            assertEquals(0.0, writeMeters.get("prefetchd.upload.conflicts").counter().count(),
                    "its own object is the version it replaces, not someone else's change");
            assertEquals("state", read(file("models/kept")));
        });
    }

    @Test
    void aCrashWhileARenamedFilesUploadIsCopied_handsTheObjectToTheNextFileUnderTheOldName() throws Exception {
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch crashed = new CountDownLatch(1);
        store.holdCopies(copying, crashed);
        renamedWhileUploading();
        write(create("models", "tmp"), 0, "state 2", true);   // the next checkpoint, not closed yet
        Thread landing = new Thread(store::releaseUploads);
        landing.start();
        try {
            assertTrue(copying.await(30, TimeUnit.SECONDS));

            WritableFileSystem second = open(1 << 20);
            try {
                second.closed(file("models/tmp"));
                clock.advance(Duration.ofSeconds(2));
                second.runUploads();
                assertEquals("state 2", store.content("data/models/tmp"));
                assertEquals("state", store.content("data/models/final"));
                assertEquals(0, second.status().pending().size());
                assertEquals(0.0, writeMeters.get("prefetchd.upload.conflicts").counter().count(),
                        "the next file replaced the object left under its name as its base version");
            } finally {
                second.close();
            }
        } finally {
            crashed.countDown();
            landing.join(30_000);
        }
    }

    @Test
    void renameAndWriteDuringUpload_uploadsTheNewBytesUnderTheNewName() throws FsException {
        Inode renamed = renamedWhileUploading();
        write(renamed, 5, "+more", true);
        fs.closed(renamed);

        store.releaseUploads();
        assertEquals(0, store.copies.get(), "the object sent is not the file's bytes any more: not copied");
        assertNull(store.content("data/models/tmp"));
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        store.releaseUploads();

        assertEquals("state+more", store.content("data/models/final"));
        assertEquals(0, fs.status().pending().size());
    }

    @Test
    void writeDuringUpload_uploadsTheNewVersionAfter() throws FsException {
        Inode f = create("models", "log.txt");
        write(f, 0, "one", true);
        store.holdUploads();
        closeAndUpload(f);
        write(f, 3, " two", true);
        fs.closed(f);

        store.releaseUploads();
        assertEquals("one", store.content("data/models/log.txt"));
        assertEquals(1, fs.status().pending().size(), "the newer version stays staged");
        assertEquals("one two", read(f));
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        store.releaseUploads();

        assertEquals("one two", store.content("data/models/log.txt"));
        assertEquals(0, fs.status().pending().size());
    }

    @Test
    void commit_ofAFileHeldOpen_uploadsAfterTheQuietPeriod() throws FsException {
        Inode f = create("models", "log.txt");
        write(f, 0, "line", false);
        fs.commit(f);
        clock.advance(Duration.ofSeconds(10));
        fs.runUploads();
        assertEquals(0, store.uploads.get());

        clock.advance(Duration.ofSeconds(25));
        fs.runUploads();

        assertEquals("line", store.content("data/models/log.txt"));
    }

    @Test
    void readPinnedToTheStagedVersion_goesOnAfterTheUpload() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "weights", true);
        FileAttributes pinned = fs.getattr(f);
        closeAndUpload(f);

        assertEquals("weights", new String(fs.read(f, pinned, 0, 100).data(), StandardCharsets.UTF_8));
    }

    @Test
    void writesInAPinnedDatasetFolder_showInItsHeldNames() throws FsException {
        base.pinDataset("train", true, () -> { });
        Inode f = create("train", "c.bin");

        assertEquals(List.of("a.bin", "b.bin", "c.bin"), names("train"));
        write(f, 0, "c", true);
        closeAndUpload(f);
        assertEquals(List.of("a.bin", "b.bin", "c.bin"), names("train"));
        assertEquals(1, fs.getattr(fs.lookup(dir("train"), "c.bin")).size());
    }

    @Test
    void writeVerifier_changesOnEveryStart() {
        long first = fs.writeVerifier();
        fs.close();
        fs = open(1 << 20);

        assertNotEquals(first, fs.writeVerifier());
    }

    @Test
    void aCrash_keepsWhatWasAcknowledged_andUploadsItAfterTheRestart() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "durable", true);
        fs.commit(f);
        // the gateway is killed: nothing is closed, a new one opens the same staging folder
        WritableFileSystem restarted = open(1 << 20);
        try {
            assertEquals("durable", new String(restarted.read(f, restarted.getattr(f), 0, 100).data(),
                    StandardCharsets.UTF_8));
            clock.advance(Duration.ofSeconds(2));
            restarted.runUploads();

            assertEquals("durable", store.content("data/models/ckpt.pt"));
            assertEquals(0, restarted.status().pending().size());
            assertEquals(1000, Integer.parseInt(store.metadata("data/models/ckpt.pt").get("uid")));
        } finally {
            restarted.close();
        }
    }

    @Test
    void aCrashInTheMiddleOfAJournalAppend_losesOnlyTheUnacknowledgedRecord() throws Exception {
        Inode f = create("models", "a.pt");
        write(f, 0, "kept", true);
        Path journal = tmp.resolve("staging/journal");
        long good = Files.size(journal);
        create("models", "b.pt");
        long withB = Files.size(journal);
        // cut the last record (b's create) in its middle, as a crash during the append would
        try (var ch = java.nio.channels.FileChannel.open(journal, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(good + (withB - good) / 2);
        }

        WritableFileSystem restarted = open(1 << 20);
        try {
            assertEquals("kept", new String(restarted.read(f, restarted.getattr(f), 0, 100).data(),
                    StandardCharsets.UTF_8));
            assertEquals(FsError.NOENT, assertThrows(FsException.class,
                    () -> restarted.lookup(dir("models"), "b.pt")).error());
            assertEquals(1, restarted.status().pending().size());
        } finally {
            restarted.close();
        }
    }

    @Test
    void ownersOfUploadedFiles_surviveARestart() throws FsException {
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "w", true);
        closeAndUpload(f);
        fs.close();

        fs = open(1 << 20);

        assertEquals(ALICE, fs.getattr(f).owner());
        assertEquals(ALICE, fs.list(dir("models"), 0).entries().stream()
                .filter(e -> e.name().equals("ckpt.pt")).findFirst().orElseThrow().attributes().owner());
    }

    @Test
    void aDirectoryRenameCutShort_isFinishedAtTheNextStart() throws FsException {
        store.failCopiesAfter(1);
        assertThrows(FsException.class, () -> fs.rename(Inode.ROOT, "train", Inode.ROOT, "train2"));
        store.failCopiesAfter(-1);
        fs.close();

        fs = open(1 << 20);

        assertEquals("a", store.content("data/train2/a.bin"));
        assertEquals("b", store.content("data/train2/b.bin"));
        assertNull(store.content("data/train/a.bin"));
        assertNull(store.content("data/train/b.bin"));
    }

    @Test
    void aDirectoryRenameCutShort_isFinishedWithoutCopyingOverAFileMovedWithItAndUploadedSince() throws FsException {
        NewAttributes truncate = new NewAttributes(OptionalLong.of(0), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
        Inode f = fs.create(dir("train"), "b.bin", new CreateHow(CreateHow.Mode.UNCHECKED, 0, truncate), ALICE);
        write(f, 0, "new b", true);
        store.failCopiesAfter(1);   // a.bin is moved, the copy of b.bin fails: the rename stops
        assertThrows(FsException.class, () -> fs.rename(Inode.ROOT, "train", Inode.ROOT, "train2"));
        store.failCopiesAfter(-1);
        closeAndUpload(file("train2/b.bin"));   // the staged file moved with the directory goes up
        assertEquals("new b", store.content("data/train2/b.bin"));
        fs.close();

        fs = open(1 << 20);   // finishes the rename: b.bin under the old name is what the staged file replaced

        assertEquals("new b", store.content("data/train2/b.bin"), "the acknowledged write is not copied over");
        assertEquals("a", store.content("data/train2/a.bin"));
        assertNull(store.content("data/train/b.bin"));
    }

    @Test
    void remove_ofTheLastFileOfAFolderWithoutMarker_keepsTheFolder() throws FsException {
        fs.remove(dir("models"), "old.pt");

        assertTrue(objects.head("data/models/").isPresent());
        assertEquals(FileType.DIRECTORY, fs.getattr(fs.lookup(Inode.ROOT, "models")).type());
    }

    @Test
    void readingAnUploadedFileBack_downloadsNothing() throws FsException {
        onDiskCache(() -> {
            Inode f = create("models", "ckpt.pt");
            write(f, 0, "x".repeat(10_000), true);
            closeAndUpload(f);
            objects.resetCounters();

            assertEquals("x".repeat(10_000), read(f));
            assertEquals(0, objects.getCount());
        });
    }

    @Test
    void whileAnUploadedFileIsCopiedIntoTheReadCache_itsAttributesAndBytesStayAvailable() throws FsException {
        fs.close();
        Inode f = file("models/ckpt.pt");
        AtomicReference<Object> seenMidCopy = new AtomicReference<>();
        cache = new PassThroughCache(store) {
            @Override
            public boolean offer(ObjectVersion object, ByteSource source) {
                try {
                    source.read(0, 4);
                    // an NFS worker's GETATTR and READ while the copy is half done: they must not wait for all of it
                    seenMidCopy.set(CompletableFuture.supplyAsync(() -> {
                        try {
                            return fs.getattr(f).size() + ":" + new String(fs.read(f, fs.getattr(f), 0, 7).data(),
                                    StandardCharsets.UTF_8);
                        } catch (FsException e) {
                            return e.toString();
                        }
                    }).get(30, TimeUnit.SECONDS));
                    source.read(4, 3);
                    return true;
                } catch (Exception e) {
                    seenMidCopy.set(e);
                    return false;
                }
            }
        };
        fs = open(1 << 20);
        create("models", "ckpt.pt");
        write(f, 0, "weights", true);

        closeAndUpload(f);

        assertEquals("7:weights", seenMidCopy.get() instanceof Exception e ? e.toString() : seenMidCopy.get());
    }

    @Test
    void aWriteAcknowledgedWhileAnUploadedFileEntersTheReadCache_isNotLost_andGoesUpNext() throws FsException {
        Inode f = file("models/ckpt.pt");
        // a client's FILE_SYNC WRITE lands after the upload ended, before its bookkeeping
        AtomicReference<Object> midCopy = onFirstCacheCopy(() -> write(f, 7, "+step2", true));
        create("models", "ckpt.pt");
        write(f, 0, "weights", true);

        closeAndUpload(f);

        assertEquals("done", midCopy.get() instanceof Exception e ? e.toString() : midCopy.get());
        assertEquals("weights", store.content("data/models/ckpt.pt"), "S3 has what the upload sent");
        assertEquals("weights+step2", read(f), "the acknowledged write stays staged");
        assertEquals(1, fs.status().pending().size());
        fs.closed(f);
        clock.advance(Duration.ofSeconds(2));
        fs.runUploads();
        assertEquals("weights+step2", store.content("data/models/ckpt.pt"));
        assertEquals(0, fs.status().pending().size());
        assertEquals(0.0, writeMeters.get("prefetchd.upload.conflicts").counter().count(),
                "the next upload replaces the version this gateway uploaded (If-Match), no conflict");
    }

    @Test
    void aFileRenamedAwayAndBackWhileItEntersTheReadCache_isUploadedAgain_notLost() throws FsException {
        // the first rename deletes the object under old.pt, which by then is the version just uploaded
        AtomicReference<Object> midCopy = onFirstCacheCopy(() -> {
            fs.rename(dir("models"), "old.pt", dir("models"), "moving.pt");
            fs.rename(dir("models"), "moving.pt", dir("models"), "old.pt");
        });
        Inode f = file("models/old.pt");
        write(f, 0, "new model", true);   // staged from the object it replaces

        closeAndUpload(f);
        assertEquals("done", midCopy.get() instanceof Exception e ? e.toString() : midCopy.get());
        for (int round = 0; round < 5 && !fs.status().pending().isEmpty(); round++) {
            clock.advance(Duration.ofSeconds(2));
            fs.runUploads();
        }

        assertEquals("new model", store.content("data/models/old.pt"));
        assertEquals(0, fs.status().pending().size());
        assertEquals("new model", read(f));
    }

    @Test
    void anErrorWhileAnUploadedFileEntersTheReadCache_stillRetiresItsStagedCopy() throws FsException {
        fs.close();
        cache = new PassThroughCache(store) {
            @Override
            public boolean offer(ObjectVersion object, ByteSource source) {
                throw new OutOfMemoryError("Java heap space");
            }
        };
        fs = open(1 << 20);
        Inode f = create("models", "ckpt.pt");
        write(f, 0, "weights", true);

        closeAndUpload(f);

        assertEquals("weights", store.content("data/models/ckpt.pt"));
        assertEquals(0, fs.status().pending().size(), "S3 has it: nothing is left staged");
        assertEquals("weights", read(f));
    }

    @Test
    void readingAFileRenamedAfterItsUpload_downloadsNothing_andItsOldBlocksAreDropped() throws FsException {
        onDiskCache(() -> {
            Inode f = create("models", "ckpt.pt.tmp");
            write(f, 0, "x".repeat(10_000), true);
            closeAndUpload(f);

            fs.rename(dir("models"), "ckpt.pt.tmp", dir("models"), "ckpt.pt");   // a server-side copy in S3
            objects.resetCounters();

            assertEquals("x".repeat(10_000), read(file("models/ckpt.pt")));
            assertEquals(0, objects.getCount(), "the copy's bytes came from the cache");
            assertEquals(3, cache.stats().blocks(), "the old name's blocks are gone from the cache: 3 of 4 KiB remain");
        });
    }

    @Test
    void readingAFolderRenamedAfterItsUploads_downloadsNothing() throws FsException {
        onDiskCache(() -> {
            fs.mkdir(Inode.ROOT, "run", NewAttributes.NONE, ALICE);
            fs.mkdir(dir("run"), "step.tmp", NewAttributes.NONE, ALICE);
            Inode state = create("run/step.tmp", "state.pt");
            write(state, 0, "s".repeat(9_000), true);
            closeAndUpload(state);

            fs.rename(dir("run"), "step.tmp", dir("run"), "step-10");
            objects.resetCounters();

            assertEquals("s".repeat(9_000), read(file("run/step-10/state.pt")));
            assertEquals(0, objects.getCount(), "the moved object's bytes came from the cache");
        });
    }

    @Test
    void aFileNeverClosedNorCommitted_isUploadedOnceLeftAloneForTenMinutes() throws FsException {
        Inode f = create("models", "orphan.pt");
        write(f, 0, "half", false);
        clock.advance(Duration.ofMinutes(9));
        fs.runUploads();
        assertEquals(0, store.uploads.get());

        clock.advance(Duration.ofMinutes(1));
        fs.runUploads();

        assertEquals("half", store.content("data/models/orphan.pt"));
    }

    @Test
    void concurrentWritesOfOneFile_allLand() throws Exception {
        Inode f = create("models", "big.bin");
        int threads = 8;
        int chunk = 4096;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    byte[] b = new byte[chunk];
                    java.util.Arrays.fill(b, (byte) ('a' + id));
                    fs.write(f, (long) id * chunk, ByteBuffer.wrap(b), false);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> d : done) {
                d.get();
            }
        } finally {
            pool.shutdownNow();
        }

        byte[] all = fs.read(f, fs.getattr(f), 0, threads * chunk).data();
        assertEquals(threads * chunk, all.length);
        for (int t = 0; t < threads; t++) {
            assertEquals('a' + t, all[t * chunk]);
            assertEquals('a' + t, all[t * chunk + chunk - 1]);
        }
    }

    @Test
    void metrics_haveTheDocumentedPrometheusNames() throws FsException {
        fs.close();
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        base = new S3FileSystem(store, "data/", cache, i -> i.path().hashCode(), MetadataSettings.withTtl(TTL), clock,
                Runnable::run, meters);
        fs = WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(), settings(1 << 20), ROOT_DEFAULT,
                ROOT_DEFAULT, TTL, clock, Runnable::run, prometheus);
        Inode f = create("models", "m.pt");
        write(f, 0, "abc", true);
        store.failUploads(1);
        closeAndUpload(f);

        String scrape = prometheus.scrape();

        for (String name : List.of("prefetchd_staging_bytes 3.0", "prefetchd_staging_capacity_bytes",
                "prefetchd_uploads_pending 1.0", "prefetchd_uploads_oldest_seconds", "prefetchd_uploads_total",
                "prefetchd_upload_bytes_total", "prefetchd_upload_failures_total 1.0",
                "prefetchd_upload_conflicts_total")) {
            assertTrue(scrape.contains(name), name + " in\n" + scrape);
        }
    }

    @Test
    void afterADirectoryRename_namesBelowTheOldPathAreStale_evenWhereListingsWereCached() throws FsException {
        objects.put("data/train/sub/c.bin", bytes("c"));
        Inode sub = fs.lookup(dir("train"), "sub");
        fs.list(sub, 0);   // the old sub-folder's listing is cached

        fs.rename(Inode.ROOT, "train", Inode.ROOT, "train2");

        assertEquals(FsError.STALE, assertThrows(FsException.class, () -> fs.getattr(sub)).error());
        assertEquals(FsError.STALE, assertThrows(FsException.class, () -> fs.lookup(sub, "c.bin"))
                .error());
        Inode moved = fs.lookup(fs.lookup(Inode.ROOT, "train2"), "sub");
        assertEquals("c", read(fs.lookup(moved, "c.bin")));
    }
}

package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.prefetchd.gateway.testing.Await.await;

/**
 * Uploads that run while a file is written: parts go up as a sequential writer moves past them, the object appears
 * only after the close, and whatever happens to the bytes meanwhile (rewrites, truncation, a rename, a crash) the
 * object holds exactly the file's final bytes. Over the in-memory store, whose requests complete on its own
 * threads; the clock is manual.
 */
class StreamingUploadTest {
    private static final Owner ALICE = new Owner(1000, 1000, 0644);
    private static final int PART = 64 * 1024;
    private static final int WRITE = 16 * 1024;
    private static final String KEY = "data/models/ckpt.pt";
    private static final Inode MODELS = new Inode(FileType.DIRECTORY, "models");

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private SimpleMeterRegistry meters;
    private WritableFileSystem fs;

    @BeforeEach
    void setUp() {
        store.put("data/models/old.pt", new byte[] {1});
        fs = open();
    }

    @AfterEach
    void tearDown() {
        fs.close();
        store.close();
    }

    private WritableFileSystem open() {
        PassThroughCache cache = new PassThroughCache(store);
        S3FileSystem base = new S3FileSystem(store, "data/", cache, i -> i.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
        StagingSettings settings = new StagingSettings(tmp.resolve("staging"), 1L << 30, Duration.ofSeconds(1),
                Duration.ofSeconds(30), 5, 4, Duration.ofSeconds(1), Duration.ofSeconds(60)).withStreamingPartSize(PART);
        return WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(), settings, new Owner(0, 0, 0444),
                new Owner(0, 0, 0555), Duration.ofMinutes(2), clock, Runnable::run, meters = new SimpleMeterRegistry());
    }

    private Inode create() throws FsException {
        return fs.create(new Inode(FileType.DIRECTORY, "models"), "ckpt.pt",
                new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE), ALICE);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code bytes[from, to)} front to back in a client's small WRITEs. */
    private void write(Inode f, byte[] bytes, int from, int to) throws FsException {
        for (int at = from; at < to; at += WRITE) {
            fs.write(f, at, ByteBuffer.wrap(bytes, at, Math.min(WRITE, to - at)), false);
        }
    }

    private double parts(String when) {
        return meters.get("prefetchd.upload.streamed.parts").tag("when", when).counter().count();
    }

    /** Closes {@code f}, lets the upload delay pass and waits until S3 has the file. */
    private void closeAndUpload(WritableFileSystem on, Inode f) throws Exception {
        on.closed(f);
        clock.advance(Duration.ofSeconds(2));
        on.runUploads();
        await(() -> on.status().pending().isEmpty(), "the upload ends");
    }

    /** Creates models/ckpt.pt and writes {@code bytes} (six parts) into it, until the first five are in S3. */
    private Inode writtenUntilFivePartsAreInS3(byte[] bytes) throws Exception {
        Inode f = create();
        write(f, bytes, 0, bytes.length);
        await(() -> parts("while_writing") == 5, "five parts are in S3");
        return f;
    }

    private byte[] object(String key) {
        return store.contents(key).orElseThrow();
    }

    @Test
    void sequentialWriter_partsGoUpWhileItWrites_andTheObjectAppearsOnlyAfterTheClose() throws Exception {
        byte[] expected = random(6 * PART + 1000, 1);
        Inode f = create();
        write(f, expected, 0, expected.length);

        // parts 1..5 are whole and the writer has moved a part past each; part 6 is not
        await(() -> parts("while_writing") == 5, "five parts are in S3");
        assertEquals(5, store.partsUploaded());
        assertTrue(store.head(KEY).isEmpty(), "nothing is visible before the close");

        closeAndUpload(fs, f);

        assertArrayEquals(expected, object(KEY));
        assertEquals(2, parts("at_upload"), "only the tail: part 6, and the 1000 bytes of part 7");
        assertEquals(0, store.multipartsInProgress());
        assertEquals("33188", store.userMetadata(KEY).orElseThrow().get("mode"));
    }

    @Test
    void partsGoUpWhileTheCompletionsThreadIsBusy_withAnExecutorOfTheirOwn() throws Exception {
        fs.close();
        ExecutorService completions = Executors.newSingleThreadExecutor();
        CountDownLatch busy = new CountDownLatch(1);
        try {
            // what follows another file's upload (its copy into the read cache) holds the completions thread
            completions.execute(() -> {
                try {
                    busy.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            PassThroughCache cache = new PassThroughCache(store);
            S3FileSystem base = new S3FileSystem(store, "data/", cache, i -> i.path().hashCode(),
                    MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
            StagingSettings settings = new StagingSettings(tmp.resolve("staging"), 1L << 30, Duration.ofSeconds(1),
                    Duration.ofSeconds(30), 5, 4, Duration.ofSeconds(1), Duration.ofSeconds(60))
                    .withStreamingPartSize(PART);
            fs = WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(), settings,
                    new Owner(0, 0, 0444), new Owner(0, 0, 0555), Duration.ofMinutes(2), clock, completions,
                    Runnable::run, meters = new SimpleMeterRegistry());
            byte[] expected = random(6 * PART + 1000, 7);
            Inode f = create();
            write(f, expected, 0, expected.length);

            await(() -> parts("while_writing") == 5, "five parts are in S3 while the completions thread is busy");
            assertEquals(1, busy.getCount());
            busy.countDown();
            closeAndUpload(fs, f);
            assertArrayEquals(expected, object(KEY));
        } finally {
            busy.countDown();
            completions.shutdown();
        }
    }

    @Test
    void rewriteOfAPartAlreadySent_isSentAgain_andTheObjectHasTheNewBytes() throws Exception {
        byte[] expected = random(6 * PART, 2);
        Inode f = writtenUntilFivePartsAreInS3(expected);

        byte[] patch = random(100, 3);
        System.arraycopy(patch, 0, expected, PART + 10, patch.length);   // inside part 2, already sent
        fs.write(f, PART + 10, ByteBuffer.wrap(patch), false);
        closeAndUpload(fs, f);

        assertArrayEquals(expected, object(KEY));
        assertEquals(2, parts("at_upload"), "part 2 again, and part 6");
    }

    /** Changes one byte in each of parts 1..5 of {@code f}, all five already in S3, and in {@code expected}. */
    private void touchTheFirstFiveParts(Inode f, byte[] expected) throws FsException {
        for (int k = 0; k < 5; k++) {
            expected[k * PART + 7] ^= 0x5a;
            fs.write(f, k * PART + 7, ByteBuffer.wrap(expected, k * PART + 7, 1), false);
        }
    }

    @Test
    void partsLeftAtTheClose_areReadIntoThePartBuffers_notByTheStoreFromTheStagedFile() throws Exception {
        byte[] expected = random(6 * PART + 1000, 11);
        Inode f = writtenUntilFivePartsAreInS3(expected);
        touchTheFirstFiveParts(f, expected);

        closeAndUpload(fs, f);

        assertArrayEquals(expected, object(KEY));
        assertEquals(7, parts("at_upload"), "parts 1-5 again, part 6, and the 1000 bytes of part 7");
        assertEquals(0, store.partsUploadedFromFiles(), "every part went up from a part buffer");
        assertEquals(0, store.multipartsInProgress());
    }

    @Test
    void aPartLeftAtTheCloseThatFails_abortsTheStreamedUpload_theFileGoesUpWhole_andEveryPermitIsBack()
            throws Exception {
        int permits = fs.streamingBudget().availablePermits();
        byte[] expected = random(6 * PART + 1000, 12);
        Inode f = writtenUntilFivePartsAreInS3(expected);
        touchTheFirstFiveParts(f, expected);

        store.failNextWrites(1, io.prefetchd.gateway.s3.ObjectStoreException.Kind.UNAVAILABLE);
        fs.closed(f);
        await(() -> {
            clock.advance(Duration.ofSeconds(5));   // the retry's backoff
            fs.runUploads();
            return fs.status().pending().isEmpty();
        }, "the file is in S3 after its failed part");

        assertArrayEquals(expected, object(KEY));
        assertEquals(1, meters.get("prefetchd.upload.streamed.abandoned").counter().count());
        assertEquals(0, store.multipartsInProgress(), "the streamed upload was aborted");
        await(() -> fs.streamingBudget().availablePermits() == permits, "every lane gave its permit back");
    }

    @Test
    void partsLeftAtTheClose_withOnePermitFree_goOneLane_andWithNoneFree_areReadByTheStore() throws Exception {
        java.util.concurrent.Semaphore budget = fs.streamingBudget();
        int permits = budget.availablePermits();
        byte[] expected = random(6 * PART + 1000, 14);
        Inode f = writtenUntilFivePartsAreInS3(expected);
        touchTheFirstFiveParts(f, expected);
        await(() -> budget.availablePermits() == permits, "the parts sent while writing gave their permits back");
        budget.acquire(permits - 1);   // other files' parts hold all permits but one
        try {
            closeAndUpload(fs, f);
        } finally {
            budget.release(permits - 1);
        }
        assertArrayEquals(expected, object(KEY));
        assertEquals(0, store.partsUploadedFromFiles(), "seven parts, one after another, on the one free permit");
        await(() -> budget.availablePermits() == permits, "the lane gave its permit back");

        String second = "data/models/second.pt";
        byte[] bytes = random(6 * PART + 1000, 15);
        Inode g = fs.create(MODELS, "second.pt", new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE), ALICE);
        double before = parts("while_writing");
        write(g, bytes, 0, bytes.length);
        await(() -> parts("while_writing") - before == 5, "five parts of the second file are in S3");
        await(() -> budget.availablePermits() == permits, "the parts sent while writing gave their permits back");
        budget.acquire(permits);   // none free
        try {
            closeAndUpload(fs, g);
        } finally {
            budget.release(permits);
        }
        assertArrayEquals(bytes, object(second));
        assertEquals(2, store.partsUploadedFromFiles(), "part 6 and the 1000 bytes of part 7, read by the store");
    }

    @Test
    void truncateWhileStreaming_thenWritingOn_givesExactlyTheFinalBytes() throws Exception {
        byte[] first = random(6 * PART, 4);
        Inode f = writtenUntilFivePartsAreInS3(first);

        int cut = 2 * PART + PART / 2;
        fs.setattr(f, new NewAttributes(java.util.OptionalLong.of(cut), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty()));
        byte[] expected = Arrays.copyOf(first, 3 * PART + 7);
        byte[] tail = random(expected.length - cut, 5);
        System.arraycopy(tail, 0, expected, cut, tail.length);
        write(f, expected, cut, expected.length);
        closeAndUpload(fs, f);

        assertArrayEquals(expected, object(KEY));
        assertEquals(0, store.multipartsInProgress());
    }

    @Test
    void renameWhileStreaming_completesTheUploadUnderTheOldName_thenCopiesItToTheNewOne() throws Exception {
        byte[] expected = random(6 * PART, 6);
        writtenUntilFivePartsAreInS3(expected);

        fs.rename(MODELS, "ckpt.pt", MODELS, "final.pt");   // a temporary name renamed into place
        Inode renamed = new Inode(FileType.REGULAR, "models/final.pt");
        closeAndUpload(fs, renamed);

        assertArrayEquals(expected, object("data/models/final.pt"));
        assertTrue(store.head(KEY).isEmpty(), "nothing stays under the old name");
        assertEquals(1, parts("at_upload"), "only the last part went up after the close: nothing was sent twice");
        assertEquals(1.0, meters.get("prefetchd.upload.moved").counter().count());
        assertEquals(0, store.multipartsInProgress());
    }

    @Test
    void renameWhileStreaming_andANewFileUnderTheOldName_eachNameEndsWithItsOwnBytes() throws Exception {
        byte[] first = random(6 * PART, 8);
        writtenUntilFivePartsAreInS3(first);
        fs.rename(MODELS, "ckpt.pt", MODELS, "final.pt");
        byte[] second = random(PART / 2, 9);
        Inode again = create();   // the next checkpoint, under the temporary name again
        write(again, second, 0, second.length);

        fs.closed(new Inode(FileType.REGULAR, "models/final.pt"));
        fs.closed(again);
        await(() -> {
            clock.advance(Duration.ofSeconds(2));
            fs.runUploads();
            return fs.status().pending().isEmpty();
        }, "every upload ends");

        assertArrayEquals(first, object("data/models/final.pt"));
        assertArrayEquals(second, object(KEY));
        await(() -> store.multipartsInProgress() == 0, "no multipart upload is left");
    }

    @Test
    void crashWhileStreaming_theNextStartAbortsTheUpload_andUploadsTheCommittedBytes() throws Exception {
        byte[] expected = random(6 * PART, 7);
        Inode f = create();
        write(f, expected, 0, expected.length);
        fs.commit(f);
        await(() -> parts("while_writing") == 5, "five parts are in S3");
        assertEquals(1, store.multipartsInProgress());

        // killed: the first file system is never closed; a new one opens the same staging folder
        WritableFileSystem second = open();
        try {
            // the store forgets the upload before the abort's answer reaches the journal: wait for both
            await(() -> store.multipartsInProgress() == 0, "the upload left by the crash is aborted");
            await(() -> second.area().pendingMultiparts().isEmpty(), "the journal knows the upload ended");
            clock.advance(Duration.ofSeconds(2));
            second.runUploads();
            await(() -> second.status().pending().isEmpty(), "the upload ends");

            ObjectMeta m = store.head(KEY).orElseThrow();
            assertEquals(expected.length, m.size());
            assertArrayEquals(expected, object(KEY));
            assertEquals(0, store.multipartsInProgress(), "the file went up whole, not through a streamed upload");
        } finally {
            second.close();
        }
    }

    @Test
    void streamedFile_isCompletedAtItsClose_withoutWaitingTheUploadDelay() throws Exception {
        byte[] expected = random(6 * PART + 1000, 9);
        Inode f = create();
        write(f, expected, 0, expected.length);
        await(() -> parts("while_writing") == 5, "five parts are in S3");
        fs.onUploadDue(fs::runUploads);   // the gateway's uploads thread, woken by the close, not at its next round

        fs.closed(f);   // the clock stands still: no upload delay passed

        await(() -> fs.status().pending().isEmpty(), "the upload ends");
        assertArrayEquals(expected, object(KEY));
    }

    @Test
    void fileNotStreamed_waitsTheUploadDelayAfterItsClose() throws Exception {
        byte[] expected = random(PART + PART / 2, 10);
        Inode f = create();
        write(f, expected, 0, expected.length);
        AtomicInteger woken = new AtomicInteger();
        fs.onUploadDue(woken::incrementAndGet);

        fs.closed(f);
        fs.runUploads();

        assertEquals(0, woken.get(), "not due at its close");
        assertEquals(1, fs.status().pending().size(), "a rename right after the close may still happen in staging");
        assertTrue(store.head(KEY).isEmpty());
        clock.advance(Duration.ofSeconds(1));
        fs.runUploads();
        await(() -> fs.status().pending().isEmpty(), "the upload ends");
        assertArrayEquals(expected, object(KEY));
    }

    @Test
    void smallFile_neverBeginsAMultipartUpload() throws Exception {
        byte[] expected = random(PART + PART / 2, 8);
        Inode f = create();
        write(f, expected, 0, expected.length);
        closeAndUpload(fs, f);

        assertArrayEquals(expected, object(KEY));
        assertEquals(0, store.partsUploaded());
    }
}

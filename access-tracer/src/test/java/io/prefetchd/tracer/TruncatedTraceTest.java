package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A crash can cut a trace file anywhere: every batch before the cut must still be read, and nothing after it. */
class TruncatedTraceTest {
    private static final int ROWS_PER_BATCH = 10;
    private static final int BATCHES = 6;

    @TempDir
    Path state;

    private final ManualClock clock = new ManualClock();

    private Path writeFile() {
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBatchRows(ROWS_PER_BATCH), clock,
                Tracers.THREADS, TracerListener.NONE);
        for (int i = 0; i < ROWS_PER_BATCH * BATCHES; i++) {
            clock.advance(Duration.ofMillis(1));
            Tracers.read(t, "ds", "shard-" + (i % 3) + ".tar", i * 1000L, 1000);
        }
        t.close();
        return state.resolve("traces/ds/job/epoch-0.arrow");
    }

    /** Where each record batch message ends, from the footer of the complete file. */
    private static long[] batchEnds(Path file) throws IOException {
        try (BufferAllocator alloc = new RootAllocator();
             ArrowFileReader r = new ArrowFileReader(FileChannel.open(file, StandardOpenOption.READ), alloc)) {
            List<ArrowBlock> blocks = r.getRecordBlocks();
            long[] ends = new long[blocks.size()];
            for (int i = 0; i < ends.length; i++) {
                ArrowBlock b = blocks.get(i);
                ends[i] = b.getOffset() + b.getMetadataLength() + b.getBodyLength();
            }
            return ends;
        }
    }

    private List<ReadRecord> readCut(Path full, long cut, List<Boolean> truncatedOut) throws IOException {
        Path cutFile = state.resolve("cut").resolve("epoch-0.arrow");
        Files.createDirectories(cutFile.getParent());
        byte[] all = Files.readAllBytes(full);
        Files.write(cutFile, Arrays.copyOf(all, (int) cut));
        TraceStore store = TraceStore.open(state);
        try (EpochReads reads = store.reads(TraceStore.ofFile(cutFile))) {
            List<ReadRecord> got = new ArrayList<>();
            reads.forEachRemaining(got::add);
            truncatedOut.add(reads.truncated());
            return got;
        }
    }

    @Test
    void cutAnywhere_readsExactlyTheBatchesBeforeTheCut() throws IOException {
        Path full = writeFile();
        long size = Files.size(full);
        long[] ends = batchEnds(full);
        assertEquals(BATCHES, ends.length);
        List<ReadRecord> complete = TraceStore.open(state).readAll(TraceStore.ofFile(full));
        assertEquals(ROWS_PER_BATCH * BATCHES, complete.size());

        // cuts: inside the header and schema, at and around every batch boundary, inside bodies, inside the footer
        TreeSet<Long> cuts = new TreeSet<>(List.of(8L, 9L, 40L, 100L, size - 20, size - 1));
        for (long end : ends) {
            for (long d = -9; d <= 9; d += 3) {
                cuts.add(end + d);
            }
            cuts.add(end - 200);
        }
        for (long c = 8; c < size; c += 97) {
            cuts.add(c);
        }
        int partial = 0;
        for (long cut : cuts) {
            if (cut < 8 || cut >= size) {
                continue;
            }
            int expectedBatches = 0;
            for (long end : ends) {
                if (end <= cut) {
                    expectedBatches++;
                }
            }
            List<Boolean> truncated = new ArrayList<>();
            List<ReadRecord> got = readCut(full, cut, truncated);
            assertEquals(complete.subList(0, expectedBatches * ROWS_PER_BATCH), got, "cut at byte " + cut
                    + " of " + size);
            assertTrue(truncated.get(0), "cut at " + cut + " has no footer");
            if (!got.isEmpty() && got.size() < complete.size()) {
                partial++;
            }
        }
        assertTrue(partial >= 20, "most cuts fall between the first and the last batch: " + partial);
    }

    @Test
    void cutInsideTheMagic_isNotAnArrowFile() throws IOException {
        Path full = writeFile();
        Path cutFile = state.resolve("short.arrow");
        Files.write(cutFile, Arrays.copyOf(Files.readAllBytes(full), 4));
        TraceStore store = TraceStore.open(state);
        try (EpochReads reads = store.reads(TraceStore.ofFile(cutFile))) {
            IOException e = assertThrows(java.io.UncheckedIOException.class, reads::hasNext).getCause();
            assertTrue(e.getMessage().contains("not an Arrow IPC file"), e.getMessage());
        }
    }

    @Test
    void completeFileWithABadFooter_isReportedCorrupt_notReadAsAStream() throws IOException {
        Path full = writeFile();
        byte[] bytes = Files.readAllBytes(full);
        int footerLength = java.nio.ByteBuffer.wrap(bytes, bytes.length - 10, 4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        int footerStart = bytes.length - 10 - footerLength;
        for (int i = footerStart; i < footerStart + 16; i++) {
            bytes[i] = (byte) 0xee;
        }
        Path bad = state.resolve("bad.arrow");
        Files.write(bad, bytes);
        try (EpochReads reads = TraceStore.open(state).reads(TraceStore.ofFile(bad))) {
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, reads::hasNext);
            assertTrue(e.getCause().getMessage().startsWith("corrupt trace file " + bad), e.getCause().getMessage());
        }
    }

    @Test
    void missingFile_isNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> TraceStore.ofFile(state.resolve("nope.arrow")));
    }
}

package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessTracerRoundTripTest {
    @TempDir
    Path state;

    private final ManualClock clock = new ManualClock();

    private List<ReadRecord> writeSome(AccessTracer t, int n) {
        List<ReadRecord> expected = new ArrayList<>();
        Outcome[] outcomes = Outcome.values();
        for (int i = 0; i < n; i++) {
            clock.advance(Duration.ofMillis(3));
            String key = "train/shard-" + (i % 4) + ".tar";
            Outcome o = outcomes[i % 3];
            long wait = o == Outcome.S3_WAIT ? 1_000_000L + i : 0;
            long sample = i % 5 == 0 ? ReadRecord.UNKNOWN : 1_000_000_000L + i; // a header every fifth read
            int rank = i % 2 == 0 ? 3 : ReadRecord.UNKNOWN;
            t.record("imagenet", "job-1", rank, 0x1234_5678_9abcL + (i % 2), "10.1.2." + (i % 2) + ":700", key,
                    "\"e" + (i % 4) + "\"", 100 + (i % 4), sample, i * 4096L, 4096, o, wait);
            expected.add(new ReadRecord(clock.nanos(), 0x1234_5678_9abcL + (i % 2), "10.1.2." + (i % 2) + ":700", key,
                    "\"e" + (i % 4) + "\"", 100 + (i % 4), i * 4096L, 4096, o, wait, "imagenet", "job-1", 0, sample,
                    rank));
        }
        return expected;
    }

    @Test
    void cleanClose_writesEveryRecordWithItsFields() throws Exception {
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBatchRows(7), clock, Tracers.THREADS,
                TracerListener.NONE);
        List<ReadRecord> expected = writeSome(t, 50);
        t.close();

        TraceStore store = TraceStore.open(state);
        List<EpochTrace> epochs = store.epochs();
        assertEquals(1, epochs.size());
        assertEquals("imagenet/job-1/0", epochs.get(0).id());
        assertEquals(state.resolve("traces/imagenet/job-1/epoch-0.arrow"), epochs.get(0).parts().get(0).path());
        try (EpochReads reads = store.reads(epochs.get(0))) {
            List<ReadRecord> got = new ArrayList<>();
            reads.forEachRemaining(got::add);
            assertEquals(expected, got);
            assertFalse(reads.truncated(), "a cleanly closed file has its footer");
        }
        TracerStats s = t.stats();
        assertEquals(50, s.accepted());
        assertEquals(50, s.written());
        assertEquals(0, s.dropped());
        assertEquals(0, s.failed());
        assertEquals(0, s.openFiles());
        assertEquals(1, s.filesClosed());
        assertEquals(Files.size(epochs.get(0).parts().get(0).path()), s.bytesWritten());
    }

    @Test
    void arrowJavaFileReader_readsTheFileWithItsSchemaAndDictionaries() throws Exception {
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBatchRows(16), clock, Tracers.THREADS,
                TracerListener.NONE);
        List<ReadRecord> expected = writeSome(t, 40);
        t.close();
        Path file = state.resolve("traces/imagenet/job-1/epoch-0.arrow");

        try (BufferAllocator alloc = new RootAllocator();
             ArrowFileReader reader = new ArrowFileReader(FileChannel.open(file, StandardOpenOption.READ), alloc)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            List<String> names = root.getSchema().getFields().stream().map(Field::getName).toList();
            assertEquals(List.of("time", "client_id", "client_address", "object_key", "etag", "file_id",
                    "byte_offset", "byte_length", "outcome", "s3_wait_ns", "dataset", "job", "epoch", "sample", "rank"),
                    names);
            assertEquals("2", root.getSchema().getCustomMetadata().get("prefetchd.trace.version"));
            assertEquals("imagenet", root.getSchema().getCustomMetadata().get("prefetchd.dataset"));
            assertEquals("inferred", root.getSchema().getCustomMetadata().get("prefetchd.epoch_source"));
            assertEquals(3, reader.getRecordBlocks().size(), "40 rows in batches of 16");
            int row = 0;
            while (reader.loadNextBatch()) {
                TimeStampNanoTZVector time = (TimeStampNanoTZVector) root.getVector("time");
                assertEquals("UTC", time.getTimeZone());
                BigIntVector offset = (BigIntVector) root.getVector("byte_offset");
                IntVector length = (IntVector) root.getVector("byte_length");
                BigIntVector sample = (BigIntVector) root.getVector("sample");
                IntVector rank = (IntVector) root.getVector("rank");
                VarCharVector key = (VarCharVector) root.getVector("object_key");
                try (VarCharVector outcome = (VarCharVector) DictionaryEncoder.decode(root.getVector("outcome"),
                        reader.lookup(root.getSchema().findField("outcome").getDictionary().getId()));
                     VarCharVector dataset = (VarCharVector) DictionaryEncoder.decode(root.getVector("dataset"),
                             reader.lookup(root.getSchema().findField("dataset").getDictionary().getId()))) {
                    for (int i = 0; i < root.getRowCount(); i++, row++) {
                        ReadRecord e = expected.get(row);
                        assertEquals(e.timeNanos(), time.get(i));
                        assertEquals(e.offset(), offset.get(i));
                        assertEquals(e.length(), length.get(i));
                        assertEquals(e.sample(), sample.get(i));
                        assertEquals(e.rank(), rank.get(i));
                        assertEquals(e.objectKey(), new String(key.get(i), StandardCharsets.UTF_8));
                        assertEquals(e.outcome().name(), new String(outcome.get(i), StandardCharsets.UTF_8));
                        assertEquals("imagenet", new String(dataset.get(i), StandardCharsets.UTF_8));
                    }
                }
            }
            assertEquals(40, row);
        }
    }

    @Test
    void flush_makesRecordsReadableWhileTheEpochIsOpen() throws Exception {
        AccessTracer t = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, TracerListener.NONE);
        try {
            List<ReadRecord> expected = writeSome(t, 10);
            Tracers.await(t.flush());
            TraceStore store = TraceStore.open(state);
            EpochTrace e = store.resolve("imagenet/job-1/0");
            try (EpochReads reads = store.reads(e)) {
                List<ReadRecord> got = new ArrayList<>();
                reads.forEachRemaining(got::add);
                assertEquals(expected, got);
                assertTrue(reads.truncated(), "an open file has no footer yet");
            }
            assertEquals(1, t.stats().openFiles());
        } finally {
            t.close();
        }
    }

    @Test
    void epochsOfADataset_listEveryJobsEpochs_andNoOtherDatasets() throws Exception {
        AccessTracer t = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, TracerListener.NONE);
        t.beginEpoch("imagefolder/train", "run1", 4);
        t.record("imagefolder/train", "run1", 1, "", "k", "e", 1, 0, 10, Outcome.CACHE_HIT, 0);
        t.record("imagefolder/train", "default", 1, "", "k", "e", 1, 0, 10, Outcome.CACHE_HIT, 0);
        t.record("other", "run1", 1, "", "k", "e", 1, 0, 10, Outcome.CACHE_HIT, 0);
        t.close();
        List<String> ids = TraceStore.open(state).epochs("imagefolder/train").stream()
                .map(e -> e.job() + "/" + e.epoch()).toList();
        assertEquals(List.of("default/0", "run1/4"), ids);
    }

    @Test
    void nullStrings_areWrittenAsEmpty() throws Exception {
        AccessTracer t = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, TracerListener.NONE);
        t.record("d", "j", 1, null, null, null, 5, 0, 10, Outcome.S3_WAIT, 42);
        t.close();
        List<ReadRecord> got = TraceStore.open(state).readAll(TraceStore.open(state).resolve("d/j/0"));
        assertEquals(List.of(new ReadRecord(ManualClock.START, 1, "", "", "", 5, 0, 10, Outcome.S3_WAIT, 42, "d", "j",
                0, ReadRecord.UNKNOWN, ReadRecord.UNKNOWN)), got, "a read without rank or sample has -1 for both");
    }

    @Test
    void cleanClose_afterConcurrentReaders_losesNoAcceptedRecord() throws Exception {
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBatchRows(100), clock, Tracers.THREADS,
                TracerListener.NONE);
        int threads = 4;
        int each = 5000;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < threads; r++) {
            long base = r * 1_000_000L;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    Tracers.read(t, "ds", "k", base + i, 1);
                }
            });
            readers.add(th);
            th.start();
        }
        go.countDown();
        for (Thread th : readers) {
            th.join();
        }
        t.close();
        TracerStats s = t.stats();
        assertEquals((long) threads * each, s.accepted() + s.dropped());
        assertEquals(s.accepted(), s.written(), "everything accepted was written");
        List<ReadRecord> got = TraceStore.open(state).readAll(TraceStore.open(state).resolve("ds/job/0"));
        assertEquals(s.accepted(), got.size());
        assertEquals(got.size(), got.stream().map(ReadRecord::offset).distinct().count(), "no duplicates");
    }

    @Test
    void recordAfterClose_isCountedAsDropped() {
        AccessTracer t = AccessTracer.start(Tracers.config(state), clock, Tracers.THREADS, TracerListener.NONE);
        t.close();
        Tracers.read(t, "d", "k", 0, 1);
        assertEquals(1, t.stats().dropped());
        assertTrue(t.flush().isDone());
    }
}

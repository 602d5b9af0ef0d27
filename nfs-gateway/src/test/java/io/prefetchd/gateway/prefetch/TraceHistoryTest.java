package io.prefetchd.gateway.prefetch;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.ExtentSink;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.TraceFile;
import io.prefetchd.tracer.TraceStore;
import io.prefetchd.tracer.TracerConfig;
import io.prefetchd.tracer.TracerListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A dataset's persisted traces as its planner's history: newest epochs, first reads, by today's index. */
class TraceHistoryTest {
    /** Ten one-object samples: sample s is all of {@code d/s} (100 bytes, ETag "e"). */
    private static final DatasetIndex INDEX = new DatasetIndex() {
        private final List<ObjectRef> objects = java.util.stream.IntStream.range(0, 10)
                .mapToObj(i -> new ObjectRef("d/" + i, 100, "e")).toList();

        @Override
        public DatasetSpec spec() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long sampleCount() {
            return 10;
        }

        @Override
        public String key(long sample) {
            return "d/" + sample;
        }

        @Override
        public void forEachExtent(long sample, ExtentSink sink) {
            sink.accept((int) sample, 0, 100);
        }

        @Override
        public List<ObjectRef> objects() {
            return objects;
        }

        @Override
        public long totalBytes() {
            return 1000;
        }

        @Override
        public long estimatedMemoryBytes() {
            return 0;
        }
    };

    @TempDir
    Path state;

    /** Epochs 0..n-1 of job run1, epoch e reading {@code orders[e]} (each sample in two halves), oldest file first. */
    private void trace(int[]... orders) throws Exception {
        AtomicLong clock = new AtomicLong(1);
        try (AccessTracer t = AccessTracer.start(TracerConfig.defaults(state).withFsync(false), clock::get,
                command -> new Thread(command).start(), TracerListener.NONE)) {
            for (int e = 0; e < orders.length; e++) {
                t.beginEpoch("data/train", "run1", e);
                for (int s : orders[e]) {
                    String etag = s == 9 ? "changed-since" : "e";
                    t.record("data/train", "run1", 1, "", "d/" + s, etag, 1, 0, 50, Outcome.CACHE_HIT, 0);
                    t.record("data/train", "run1", 1, "", "d/" + s, etag, 1, 50, 50, Outcome.CACHE_HIT, 0);
                }
                t.endEpoch("data/train", "run1");
            }
        }
        List<EpochTrace> epochs = TraceStore.open(state).epochs("data/train");
        for (EpochTrace e : epochs) { // file times one minute apart, in epoch order
            for (TraceFile f : e.parts()) {
                Files.setLastModifiedTime(f.path(), FileTime.fromMillis(1_000_000_000L + 60_000L * e.epoch()));
            }
        }
    }

    private static List<String> orders(List<EpochOrder> history) {
        return history.stream().map(o -> o.epoch() + ":" + Arrays.toString(o.toArray())).toList();
    }

    @Test
    void of_newestEpochsOldestFirst_samplesInOrderOfFirstRead() throws Exception {
        trace(new int[] {0, 1}, new int[] {1, 2}, new int[] {2, 3, 2}, new int[] {3, 4});
        TraceHistory history = new TraceHistory(TraceStore.open(state), 3);
        assertEquals(List.of("0:[1, 2]", "1:[2, 3]", "2:[3, 4]"), orders(history.of("data/train", INDEX)));
    }

    @Test
    void of_readsOfAChangedObject_mapToNoSample() throws Exception {
        trace(new int[] {5, 9, 6});
        TraceHistory history = new TraceHistory(TraceStore.open(state), TraceHistory.DEFAULT_EPOCHS);
        assertEquals(List.of("0:[5, 6]"), orders(history.of("data/train", INDEX)),
                "sample 9's object has another ETag in the trace than in the index");
    }

    @Test
    void of_tracedEpochOfTwoPasses_isTwoPasses() throws Exception {
        int[] pass = {3, 1, 4, 0, 5, 9, 2, 6, 8, 7};
        int[] twice = new int[20];
        System.arraycopy(pass, 0, twice, 0, 10);
        System.arraycopy(pass, 0, twice, 10, 10);
        trace(twice); // an unhinted job whose epochs the tracer did not cut: two passes in one traced epoch
        assertEquals(List.of("0:[3, 1, 4, 0, 5, 2, 6, 8, 7]", "1:[3, 1, 4, 0, 5, 2, 6, 8, 7]"),
                orders(new TraceHistory(TraceStore.open(state), 4).of("data/train", INDEX)),
                "sample 9 is left out: its object changed");
    }

    @Test
    void of_passCutByTheTracersEpochEnd_isJoinedAgain() throws Exception {
        // the tracer ended epoch 0 at the dataset's size, three reads into the next pass
        trace(new int[] {3, 1, 4, 0, 5, 2, 6, 8, 7, 8, 7, 6}, new int[] {5, 4, 3, 2, 1, 0});
        assertEquals(List.of("0:[3, 1, 4, 0, 5, 2, 6, 8, 7]", "1:[8, 7, 6, 5, 4, 3, 2, 1, 0]"),
                orders(new TraceHistory(TraceStore.open(state), 4).of("data/train", INDEX)));
    }

    @Test
    void of_unknownDatasetOrNoEpochsWanted_isEmpty() throws Exception {
        trace(new int[] {0});
        assertEquals(List.of(), new TraceHistory(TraceStore.open(state), 4).of("other", INDEX));
        assertEquals(List.of(), new TraceHistory(TraceStore.open(state), 0).of("data/train", INDEX));
    }
}

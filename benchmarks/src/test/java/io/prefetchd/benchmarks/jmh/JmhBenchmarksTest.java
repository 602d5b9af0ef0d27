package io.prefetchd.benchmarks.jmh;

import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Arrays;
import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each benchmark's setup and method called directly, checking that it measures what it says (the decoded READ has
 * the encoded offset and count, the reply carries the data, the cached read returns the object's bytes without a
 * miss, the planner orders fetches mid-epoch); and one method run through JMH's Runner in-process, so the generated
 * harness is exercised too. Never a timing threshold.
 */
class JmhBenchmarksTest {

    @Test
    void xdrDecodeRequest_returnsTheEncodedReadArguments() throws Exception {
        XdrReadBench b = new XdrReadBench();
        b.readBytes = 65536;
        b.setUp();

        Args.Read read = b.decodeRequest();

        assertEquals(XdrReadBench.READ_OFFSET, read.offset());
        assertEquals(65536, read.count());
        assertEquals(b.stateId, read.stateid());
    }

    @Test
    void xdrEncodeReply_decodesToReadWithTheData() throws Exception {
        XdrReadBench b = new XdrReadBench();
        b.readBytes = 1 << 20;
        b.setUp();

        int length = b.encodeReply();

        CompoundReply reply = CompoundReply.decode(Arrays.copyOf(b.wire, length));
        assertEquals(NfsStatus.NFS4_OK, reply.status());
        assertEquals(3, reply.results().size());
        CompoundReply.Read read = reply.op(Nfs4.OP_READ).as(CompoundReply.Read.class);
        assertArrayEquals(b.data, read.data());
        assertFalse(read.eof());
    }

    @Test
    void cachedRead_returnsTheObjectsBytes_asHits() throws Exception {
        CacheReadBench b = new CacheReadBench();
        b.readBytes = 131072;
        b.grain = 16384;
        b.setUp();
        try {
            b.countMisses();
            for (int i = 0; i < 5; i++) {
                long offset = b.offsets[b.next];
                ExtentCache.CachedRead r = b.cachedRead();
                assertArrayEquals(Arrays.copyOfRange(b.objectBytes, (int) offset, (int) offset + 131072), r.data(),
                        "bytes at " + offset);
                assertEquals(0, r.missedBlocks(), "served from disk");
            }
            b.checkNoMisses();
            long offset = b.offsets[b.next];
            assertArrayEquals(Arrays.copyOfRange(b.objectBytes, (int) offset, (int) offset + 131072),
                    b.fileReadBaseline(), "baseline bytes");
        } finally {
            b.tearDown();
        }
    }

    @Test
    void plannerStepMidEpoch_ordersFetchesForAboutTheMissingHalf() {
        PlannerStepBench.Fixture fixture = PlannerStepBench.Fixture.of(20_000, 42);
        PlannerStepBench.Driver d = new PlannerStepBench.Driver(fixture);
        d.advanceToMiddleOf(1);
        assertEquals(1, d.epoch);
        assertEquals(10_000, d.position);
        long bytesBefore = d.bytesRead;
        long fetchedBefore = d.fetchedBytes;

        int ordered = 0;
        for (int i = 0; i < 5_000; i++) {
            ordered += d.step();
        }

        double fetchedPerRead = (double) (d.fetchedBytes - fetchedBefore) / (d.bytesRead - bytesBefore);
        assertTrue(ordered > 0, "the planner ordered fetches");
        // warm epoch, c = 0.5, hints: about half of what is read is pinned, the rest fetched (epoch 0 fetches all)
        assertTrue(fetchedPerRead > 0.25 && fetchedPerRead < 0.9, "fetched/read = " + fetchedPerRead);
    }

    @Test
    void plannerStep_pastTheEpochEnd_startsTheNextPublishedEpoch() {
        PlannerStepBench.Driver d = new PlannerStepBench.Driver(PlannerStepBench.Fixture.of(2_000, 42));
        for (int i = 0; i < 2_000 + 10; i++) {
            d.step();
        }
        assertEquals(1, d.epoch);
        assertEquals(10, d.position);
        assertEquals(0, d.inlinePublishes, "epoch 1 was published ahead");
        d.publishAhead();
        for (int i = 0; i < 2_000; i++) {
            d.step();
        }
        assertEquals(2, d.epoch);
        assertEquals(0, d.inlinePublishes);
    }

    @Test
    void plannerPublish_onAFreshPlanner_acceptsTheOrder() {
        PlannerStepBench.Fresh s = new PlannerStepBench.Fresh();
        s.samples = 5_000;
        s.setUp();
        s.newPlanner();
        assertEquals(5_000, s.order.size());
        new PlannerStepBench().publish(s);
        assertFalse(s.planner.poll(1, 16).isEmpty(), "with an order, the planner prefetches");
    }

    @Test
    void jmhRunner_inProcess_producesAScore() throws Exception {
        Options opt = new OptionsBuilder()
                .include(XdrReadBench.class.getName() + ".decodeRequest")
                .param("readBytes", "65536")
                .forks(0)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(100))
                .build();

        Collection<RunResult> results = new Runner(opt).run();

        assertEquals(1, results.size());
        double score = results.iterator().next().getPrimaryResult().getScore();
        assertTrue(score > 0 && Double.isFinite(score), "score " + score);
    }
}

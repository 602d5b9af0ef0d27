package io.prefetchd.gateway.fleet;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.DemoBucket;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.hints.Planning;
import io.prefetchd.gateway.testing.PassThroughCache;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.HintSink;
import io.prefetchd.planner.RecordingHintSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static io.prefetchd.gateway.testing.Await.await;

/** Hints published to one member reach the planners of the others, through real embedded Hazelcast members. */
class FleetHintsIT {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> addresses = new ArrayList<>();

    /** One gateway's hint side: its dataset registry, its planner (a recording sink) and the shared planning. */
    private record Member(DatasetRegistry datasets, RecordingHintSink planner, Planning planning) {
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Member member(int i, int port) {
        var store = DemoBucket.create("");
        DatasetRegistry datasets = new DatasetRegistry(store, "", dir.resolve("indexes-" + i), 2,
                new SimpleMeterRegistry(), Clock.systemUTC());
        open.add(datasets);
        Fleet fleet = Fleet.join(new FleetSettings("hints-it", "127.0.0.1", port, addresses, 0, Duration.ofSeconds(2),
                Duration.ofSeconds(3)), new PassThroughCache(store), "demo", new SimpleMeterRegistry());
        open.add(fleet);
        RecordingHintSink planner = new RecordingHintSink();
        return new Member(datasets, planner, FleetHints.share(Optional.of(fleet), Planning.forwardingTo(planner),
                datasets));
    }

    private static int freePort() throws IOException {
        return FleetGateways.freePort();
    }

    @Test
    void orderPublishedToOneMember_reachesTheOthersPlanners_andSoDoesItsEnd_andALateJoinerCatchesUp()
            throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        for (int p : ports) {
            addresses.add("127.0.0.1:" + p);
        }
        Member a = member(0, ports[0]);
        Member b = member(1, ports[1]);
        ServedDataset d = a.datasets().register("webdataset", DatasetKind.WEBDATASET, List.of());
        int[] order = {7, 3, 99, 0, 42};

        a.planning().publish(new HintSink.PublishedOrder(d.id(), "job-a", 0, 1, EpochOrder.of(3, order))).join();
        await(() -> b.planner().get(d.id(), "job-a", 3, 0).isPresent(), "member b's planner to get the order");
        assertArrayEquals(order, b.planner().get(d.id(), "job-a", 3, 0).orElseThrow().order().toArray());
        assertEquals(d.id(), b.datasets().byId(d.id()).orElseThrow().id(), "member b indexed the dataset itself");

        a.planning().endEpoch(d.id(), "job-a", 3);
        await(() -> b.planner().ended(d.id(), "job-a", 3), "member b's planner to see the epoch end");

        a.planning().publish(new HintSink.PublishedOrder(d.id(), "job-a", 0, 1, EpochOrder.of(4, order))).join();
        Member late = member(2, ports[2]);
        await(() -> late.planner().get(d.id(), "job-a", 4, 0).isPresent(), "the late member to catch up");
        assertEquals(Optional.empty(), late.planner().get(d.id(), "job-a", 3, 0), "ended epochs are not replayed");
    }
}

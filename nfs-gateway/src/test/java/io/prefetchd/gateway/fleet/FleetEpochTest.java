package io.prefetchd.gateway.fleet;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FleetEpochTest {
    private static MemberEpoch figures(String member, String job, int epoch, long reads, long s3Bytes) {
        return new MemberEpoch(member, "ds-1", "train", "webdataset", job, epoch, true, "2026-01-01T00:00:00Z",
                reads, reads * 1000, reads * 400, reads / 10, s3Bytes / 1000, s3Bytes, reads * 300);
    }

    @Test
    void aggregate_sumsEveryMembersFiguresPerEpoch_andKeepsEachMembersOwn() {
        List<FleetEpoch> epochs = FleetEpoch.aggregate(List.of(
                figures("127.0.0.1:5702", "job", 3, 50, 7_000),
                figures("127.0.0.1:5701", "job", 3, 30, 5_000),
                figures("127.0.0.1:5701", "job", 2, 80, 9_000),
                figures("127.0.0.1:5701", "other", 3, 10, 1_000)));

        assertEquals(List.of("job/2", "job/3", "other/3"), epochs.stream().map(e -> e.job() + "/" + e.epoch()).toList());
        FleetEpoch e = epochs.get(1);
        assertEquals(List.of("127.0.0.1:5701", "127.0.0.1:5702"), e.members().stream().map(MemberEpoch::member)
                .toList(), "members by address");
        assertEquals(80, e.samplesRead());
        assertEquals(80_000, e.bytesRead());
        assertEquals(12_000, e.s3Bytes());
        assertEquals(12, e.s3Gets());
        assertEquals(24_000, e.peerBytes());
        assertEquals(8, e.readsWaited());
        assertEquals(0.4, e.hitRatio(), 1e-12);
        assertEquals("train (webdataset)", e.datasetName());
    }

    @Test
    void aggregate_takesTheDatasetsNameFromAnyMemberThatKnewIt() {
        MemberEpoch unnamed = new MemberEpoch("b:1", "ds-1", "", "", "job", 0, true, "", 0, 0, 0, 0, 1, 10, 0);
        FleetEpoch e = FleetEpoch.aggregate(List.of(unnamed, figures("a:1", "job", 0, 1, 1))).get(0);
        assertEquals("train (webdataset)", e.datasetName());
        assertTrue(Double.isFinite(e.hitRatio()));
        assertTrue(Double.isNaN(FleetEpoch.aggregate(List.of(unnamed)).get(0).hitRatio()), "no reads: no ratio");
    }

    @Test
    void memberEpoch_roundTripsThroughBytes_andRefusesAnotherVersion() {
        MemberEpoch m = figures("[::1]:5701", "job/with/slashes", 7, 123, 456_789);
        assertEquals(m, MemberEpoch.fromBytes(m.toBytes()));
        byte[] b = m.toBytes();
        b[0] = 2;
        assertThrows(IllegalArgumentException.class, () -> MemberEpoch.fromBytes(b));
        assertThrows(IllegalArgumentException.class, () -> MemberEpoch.fromBytes(new byte[] {1, 0}));
    }

    @Test
    void report_roundTripsThroughJson_andItsTableMarksMembersThatAreDown() {
        FleetReport r = new FleetReport("prod", List.of("a:1"), FleetEpoch.aggregate(List.of(
                figures("a:1", "job", 3, 30, 5_000), figures("b:1", "job", 3, 50, 7_000))));

        FleetReport back = FleetReport.fromJson(r.toJson());
        assertEquals(r, back);
        String table = r.table();
        assertTrue(table.contains("fleet prod: 1 members now (a:1)"), table);
        assertTrue(table.contains("b:1 (down)"), table);
        assertTrue(table.lines().anyMatch(l -> l.contains("all 2") && l.contains(" 80 ")), table);
        assertTrue(table.contains("train (webdataset) / job (fleet)"), table);
    }

    @Test
    void report_outsideAFleet_saysSo() {
        FleetReport none = FleetReport.fromJson(FleetReport.none().toJson());
        assertEquals(FleetReport.none(), none);
        assertEquals("", none.table());
        assertArrayEquals(new Object[0], none.epochs().toArray());
    }

    @Test
    void datasetFilter_matchesTheIdOrThePath() {
        MemberEpoch m = figures("a:1", "job", 0, 1, 1);
        assertTrue(FleetReports.matches(m, "ds-1", null));
        assertTrue(FleetReports.matches(m, "/train/", "job"));
        assertTrue(!FleetReports.matches(m, "train", "other"));
        assertTrue(!FleetReports.matches(m, "val", null));
    }
}

package io.prefetchd.gateway.fleet;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SharedHintTest {

    @Test
    void bytes_roundTrip() {
        var h = new SharedHint("m-1", "ds-0123456789ab", "parquet/train", "parquet", List.of("image", "label"),
                "job-7", 3, 8, 12, new int[] {5, 0, 2_000_000_000}, true);

        SharedHint back = SharedHint.fromBytes(h.toBytes());

        assertEquals(List.of(h.origin(), h.datasetId(), h.exportPath(), h.kind(), h.columns(), h.job(), h.rank(),
                h.worldSize(), h.epoch(), h.ended()), List.of(back.origin(), back.datasetId(), back.exportPath(),
                back.kind(), back.columns(), back.job(), back.rank(), back.worldSize(), back.epoch(), back.ended()));
        assertArrayEquals(h.order(), back.order());
        assertEquals("ds-0123456789ab/job-7/3", back.key());
    }

    @Test
    void bytes_ofAnotherVersion_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> SharedHint.fromBytes(new byte[] {9, 0, 0}));
    }

    @Test
    void bytes_truncated_areRefused() {
        byte[] b = new SharedHint("m", "d", "p", "webdataset", List.of(), "j", 0, 1, 0, new int[] {1, 2}, false)
                .toBytes();
        assertThrows(IllegalArgumentException.class,
                () -> SharedHint.fromBytes(java.util.Arrays.copyOf(b, b.length - 3)));
    }
}

package io.prefetchd.gateway.linux;

import io.prefetchd.gateway.daemon.GatewayFixture;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.ReadRecord;
import io.prefetchd.tracer.TraceStore;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Traces through the real Linux client: every READ the guest's reads turned into is in the per-epoch Arrow
 * trace, with the right object, ETag, offsets and lengths, read back with Arrow Java's own reader.
 */
class TraceLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();

    @Test
    void everyReadTheGuestMade_isInTheTrace(@TempDir Path state) throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        Map<String, Integer> sizes = new TreeMap<>(Map.of("train/a.bin", 3 * 1024 * 1024 + 5,
                "train/b.bin", 70_000, "train/c.bin", 1));
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("traced");
            Map<String, String> etags = new TreeMap<>();
            sizes.forEach((k, n) -> etags.put(k, s3.put("traced", k, TestBucket.content(k, n))));
            double reads;
            try (GatewayFixture gw = new GatewayFixture(s3, "traced", state).start()) {
                VM.run(VmNfsClient.Options.mount(gw.port()).vers("4.1").timeout(Duration.ofMinutes(4)),
                        "sh", "-c", "cd /mnt/nfs/train && md5sum a.bin b.bin c.bin").assertSuccess();
                reads = gw.nfsReads();
            }   // closing the gateway closes the tracer: everything recorded is on disk

            List<EpochTrace> epochs = TraceStore.open(state).epochs("train", "default");
            assertEquals(1, epochs.size(), "one epoch of dataset 'train'");
            List<ReadRecord> records = TraceStore.open(state).readAll(epochs.get(0));
            assertEquals((long) reads, records.size(), "one record per READ the server answered");
            Map<String, List<ReadRecord>> byKey = new TreeMap<>();
            for (ReadRecord r : records) {
                byKey.computeIfAbsent(r.objectKey(), k -> new ArrayList<>()).add(r);
                assertEquals(etags.get(r.objectKey()), r.etag(), r.toString());
                assertTrue(r.outcome() == Outcome.S3_WAIT || r.outcome() == Outcome.CACHE_HIT);
                assertNotEquals(0, r.clientId(), "a 4.1 read carries its client ID");
            }
            assertEquals(sizes.keySet(), byKey.keySet());
            sizes.forEach((key, size) -> {
                List<ReadRecord> rs = new ArrayList<>(byKey.get(key));
                rs.sort(java.util.Comparator.comparingLong(ReadRecord::offset));
                long covered = 0;
                for (ReadRecord r : rs) {
                    assertTrue(r.offset() <= covered, key + ": gap before " + r.offset());
                    covered = Math.max(covered, r.offset() + r.length());
                }
                assertEquals((long) size, covered, key + ": md5sum read the whole file");
            });
        }
    }
}

package io.prefetchd.gateway.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prefetchd.formats.TarWriter;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.CountingBlobStore;
import io.prefetchd.gateway.testing.GuestHandshake;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.PublishEpoch;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.planner.proto.HintsGrpc;
import io.prefetchd.planner.proto.RegisterDatasetRequest;
import io.prefetchd.planner.proto.RegisterDatasetResponse;
import io.prefetchd.testing.Prerequisites;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel client judges a fleet that loses a member: three daemon processes over one S3Proxy, a hinted WebDataset
 * (three epochs' orders published to member A's hint API, shared with the others through the fleet), and one guest
 * whose ranks read it through different members, every sample's bytes checked against what was put in S3:
 * <ol>
 *   <li>epoch 0 through A and B. At half the epoch the host {@code kill -9}s C, which the guest does not mount but
 *       which owns about a third of the grains; the reads through A and B go on with exact bytes and no error;</li>
 *   <li>C is restarted on its state folder and rejoins; the guest mounts it and reads epoch 1 through A, B and C;</li>
 *   <li>epoch 2, warm, through A, B and C: the fleet sends S3 fewer bytes than any one member could, since each
 *       member's cache holds half of the dataset and a lone gateway with it must fetch at least the other half
 *       every epoch. The three caches add up.</li>
 * </ol>
 */
class FleetKillLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "fleet-kill-linux";
    private static final String JOB = "resnet";
    private static final int SHARDS = 4;
    private static final int PER_SHARD = 60;
    private static final int EPOCHS = 3;
    private static final String FALLBACKS = "prefetchd_fleet_peer_reads_total\\{outcome=\"fallback\"}";

    @TempDir
    Path dir;

    private S3ProxyFixture s3;
    private FleetProcesses fleet;

    /** One sample: its shard's key, its data's offset and size in the shard, and its MD5. */
    private record Sample(String shard, long offset, int size, String md5) {
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (fleet != null) {
            fleet.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void memberKilledMidEpoch_kernelReadsThroughTheOthersStayExact_andTheRestartedMemberRejoinsAndServes()
            throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        CountingBlobStore counting = new CountingBlobStore(new TransientNio2BlobStore());
        s3 = S3ProxyFixture.start(counting);
        s3.createBucket(BUCKET);
        List<Sample> samples = uploadShards();
        long datasetBytes = samples.stream().mapToLong(Sample::size).sum();
        long memberCache = datasetBytes / 2;

        fleet = new FleetProcesses(dir, s3.endpoint(), BUCKET, "kill-linux", 3, Long.toString(memberCache), Map.of(
                "prefetchd.cache.grain", "16384",   // 20-60 KB samples: a small grain wastes little around each
                "prefetchd.datasets", "webdataset:train",
                "prefetchd.fleet.failure-timeout", "3s",
                "prefetchd.fleet.peer-timeout", "2s"), Duration.ofMinutes(3));
        int grpcPort = FleetProcesses.freePort();
        Map<String, String> noHintApi = Map.of("prefetchd.grpc.enabled", "false");
        fleet.start(0, Map.of("prefetchd.grpc.port", Integer.toString(grpcPort)));
        fleet.start(1, noHintApi);
        fleet.start(2, noHintApi);
        fleet.await(() -> IntStream.range(0, 3).allMatch(i -> fleet.members(i) == 3
                && fleet.metric(i, "prefetchd_fleet_owned_partitions") > 0), "three members, each with its share");

        Path work = Files.createTempDirectory(Path.of("/tmp"), "fleet-kill-linux-");
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            RegisterDatasetResponse registered = HintsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(120, TimeUnit.SECONDS).registerDataset(RegisterDatasetRequest.newBuilder()
                            .setPath("/mnt/nfs/train").setFormat("webdataset").setExportPath("train")
                            .setSampleCount(samples.size()).build());
            List<List<Integer>> orders = new ArrayList<>();
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                List<Integer> order = new ArrayList<>(IntStream.range(0, samples.size()).boxed().toList());
                Collections.shuffle(order, new Random(100 + epoch));
                PublishEpoch.publish(HintsGrpc.newStub(channel), registered.getDatasetId(), JOB, epoch, order);
                orders.add(order);
            }
            JSON.writeValue(work.resolve("samples.json").toFile(), samples.stream()
                    .map(s -> List.of(s.shard(), s.offset(), s.size(), s.md5())).toList());
            JSON.writeValue(work.resolve("orders.json").toFile(), orders);
            Path script = GuestScripts.writeScript("fleet_kill.py", work);

            long indexed = counting.bytes();   // each member's index build, and any prefetch before the guest reads
            CompletableFuture<VmNfsClient.Result> guest = CompletableFuture.supplyAsync(() -> VM.run(
                    VmNfsClient.Options.mount(fleet.nfsPort(0)).vers("4.1").forward(fleet.nfsPort(1))
                            .forward(fleet.nfsPort(2)).share(work).timeout(Duration.ofMinutes(12)),
                    GuestScripts.GUEST_PYTHON, script.toString(), work.toString(),
                    Integer.toString(fleet.nfsPort(1)), Integer.toString(fleet.nfsPort(2))));
            GuestHandshake g = new GuestHandshake(work, guest, Duration.ofMinutes(6));

            g.await("half");
            fleet.kill(2);   // SIGKILL while the guest reads through A and B
            g.say("killed");
            g.await("epoch-0");
            long epoch0 = counting.bytes() - indexed;
            double fallbacks = fleet.metric(0, FALLBACKS) + fleet.metric(1, FALLBACKS);
            fleet.await(() -> fleet.members(0) == 2 && fleet.members(1) == 2, "A and B to drop the killed member");

            fleet.start(2, noHintApi);   // the same ports and state folder (its cache)
            fleet.await(() -> IntStream.range(0, 3).allMatch(i -> fleet.members(i) == 3)
                    && fleet.metric(2, "prefetchd_fleet_owned_partitions") > 0, "C to rejoin with its share");
            g.say("rejoined");

            g.await("epoch-1");
            long before = counting.bytes();   // C's restart and index build, epoch 1
            long epoch1 = before - indexed - epoch0;
            g.say("warm");
            JsonNode last = g.await("epoch-2");
            long warm = counting.bytes() - before;

            VmNfsClient.Result r = guest.get(3, TimeUnit.MINUTES);
            System.out.println(r.stdout());
            r.assertSuccess();   // every sample of every epoch read with exact bytes, without an error
            System.out.printf("FleetKillLinuxIT: D = %d bytes, each member's cache %d; S3 bytes: %d before epoch 0 "
                    + "(index builds), %d in epoch 0 (cold, C killed), %d until the end of epoch 1 (C restarted), %d "
                    + "in warm epoch 2 (%.3f D); %d GETs in all; reads of the dead member's grains from S3 %.0f; "
                    + "the restarted member took %.0f bytes over from previous owners (%.0f runs missed)%n",
                    datasetBytes, memberCache, indexed, epoch0, epoch1, warm, (double) warm / datasetBytes,
                    counting.gets(), fallbacks, fleet.metric(2, "prefetchd_fleet_handover_bytes_total"),
                    fleet.metric(2, "prefetchd_fleet_handover_misses_total"));
            assertTrue(fallbacks > 0, "the kill was felt: A and B read grains of the dead member from S3 instead");
            assertTrue(last.get("through_c").asInt() > 0, "the guest read through the restarted member");
            assertTrue(fleet.metric(2, "prefetchd_fleet_peer_served_reads_total") > 0,
                    "the restarted member owns grains again and serves them to its peers");
            assertTrue(warm < datasetBytes - memberCache, "the warm epoch sent S3 " + warm + " bytes; a lone "
                    + "member's cache of " + memberCache + " must fetch at least " + (datasetBytes - memberCache));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Shards of one file per sample ({@code KEY.bin}, 20-60 KB) in S3; returns every sample in index order. */
    private List<Sample> uploadShards() throws Exception {
        Random random = new Random(2027);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        List<Sample> samples = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            String key = "train/train-" + shard + ".tar";
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarWriter tar = new TarWriter(bytes, 1_700_000_000L)) {
                for (int i = 0; i < PER_SHARD; i++) {
                    byte[] data = new byte[20_000 + random.nextInt(40_000)];
                    random.nextBytes(data);
                    long offset = tar.position() + TarWriter.BLOCK;
                    tar.addFile(String.format("%06d.bin", shard * PER_SHARD + i), data);
                    samples.add(new Sample(key, offset, data.length, HexFormat.of().formatHex(md5.digest(data))));
                }
            }
            s3.put(BUCKET, key, bytes.toByteArray());
        }
        return samples;
    }
}

package io.prefetchd.gateway.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.FaultProxy;
import io.prefetchd.gateway.testing.GuestHandshake;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.gateway.testing.VmTestSupport;
import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.HintSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metadata off the read path, through the real Linux kernel client: an ImageFolder dataset read in two hinted
 * random orders, with the S3 request counts of a fault-injecting proxy in front of S3Proxy; an object replaced in S3
 * seen within the dataset refresh interval; then S3 blackholed and refused in turn: every cached file still opens and
 * reads the right bytes, an uncached one fails in seconds (EIO), and reads recover when S3 answers again.
 */
class MetadataLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final String BUCKET = "metadata";
    private static final int CLASSES = 4;
    private static final int PER_CLASS = 40;
    private static final Duration DATASET_REFRESH = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void imageFolder_warmEpochAsksNoMetadata_changesAreSeen_cachedFilesSurviveAnS3Outage(@TempDir Path tmp)
            throws Exception {
        VmTestSupport.requireVm(VM);
        Path work = VmTestSupport.workFolder("metadata-it-");
        try (S3ProxyFixture s3 = S3ProxyFixture.start();
             FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort())) {
            s3.createBucket(BUCKET);
            Random random = new Random(12);
            Map<String, String> md5s = new LinkedHashMap<>();
            for (int c = 0; c < CLASSES; c++) {
                for (int i = 0; i < PER_CLASS; i++) {
                    String key = String.format("imagefolder/train/class%d/%04d.jpg", c, i);
                    md5s.put(key, put(s3, key, 8_000 + random.nextInt(24_000), random));
                }
            }
            Map<String, String> uncached = new LinkedHashMap<>();
            for (String key : List.of("other/uncached-1.bin", "other/uncached-2.bin")) {
                uncached.put(key, put(s3, key, 70_000, random));
            }
            JSON.writeValue(work.resolve("uncached.json").toFile(), uncached);

            Map<String, Object> p = s3.daemonProperties(BUCKET, tmp.resolve("state"));
            p.put("prefetchd.s3.endpoint", "http://127.0.0.1:" + proxy.port());
            p.put("prefetchd.cache.size", "64MiB");
            p.put("prefetchd.nfs.dataset-refresh", DATASET_REFRESH.toSeconds() + "s");
            try (ApplicationContext ctx = Daemon.start(p)) {
                Gateway gw = ctx.getBean(Gateway.class);
                ServedDataset ds = ctx.getBean(DatasetRegistry.class).register("imagefolder/train",
                        DatasetKind.IMAGEFOLDER, List.of());
                List<List<String>> samples = new ArrayList<>();
                for (long i = 0; i < ds.sampleCount(); i++) {
                    String key = ds.index().key(i);
                    samples.add(List.of(key, md5s.get(key)));
                }
                JSON.writeValue(work.resolve("samples.json").toFile(), samples);
                List<int[]> orders = new ArrayList<>();
                for (int epoch = 0; epoch < 2; epoch++) {
                    int[] order = permutation((int) ds.sampleCount(), new Random(100 + epoch));
                    gw.planning().publish(new HintSink.PublishedOrder(ds.id(), "metadata-job", 0, 1,
                            EpochOrder.of(epoch, order))).get(30, TimeUnit.SECONDS);
                    orders.add(order);
                }
                JSON.writeValue(work.resolve("orders.json").toFile(), orders);
                Path script = GuestScripts.writeScript("metadata_outage.py", work);

                CompletableFuture<VmNfsClient.Result> guest = CompletableFuture.supplyAsync(() -> VM.run(
                        VmNfsClient.Options.mount(gw.nfsPort()).vers("4.1").mountOptions("actimeo=1").share(work)
                                .timeout(Duration.ofMinutes(8)),
                        "/usr/bin/python3", script.toString(), work.toString()));
                GuestHandshake g = new GuestHandshake(work, guest, Duration.ofMinutes(6));

                Map<String, Long> cold = counts(proxy);
                JsonNode epoch0 = g.await("epoch-0");
                Map<String, Long> afterCold = counts(proxy);
                g.say("go-0");
                JsonNode epoch1 = g.await("epoch-1");
                Map<String, Long> warm = minus(counts(proxy), afterCold);
                System.out.printf("cold epoch %.1f s, S3 requests %s; warm epoch %.1f s, S3 requests %s%n",
                        epoch0.get("seconds").asDouble(), minus(afterCold, cold), epoch1.get("seconds").asDouble(),
                        warm);
                assertEquals(0, warm.get("HEAD"), "a warm epoch sends no HEAD: " + warm);
                assertEquals(0, warm.get("GET"), "the whole dataset is cached: " + warm);
                long refreshes = (long) Math.ceil(epoch1.get("seconds").asDouble() / DATASET_REFRESH.toSeconds()) + 1;
                assertTrue(warm.get("LIST") <= refreshes, "a warm epoch lists only the dataset's bulk refreshes ("
                        + refreshes + " at most), never per folder or file: " + warm);
                PrometheusMeterRegistry meters = ctx.getBean(PrometheusMeterRegistry.class);
                assertEquals(0.0, namesBytes(meters, "heap"), "the dataset's names are read from a mapped file");
                assertTrue(namesBytes(meters, "file") > 0);

                String replaced = samples.get(0).get(0);
                Files.writeString(work.resolve("replaced.md5"), put(s3, replaced, 5_000, random));
                g.say("go-1");
                double seen = g.await("replaced").get("seconds").asDouble();
                System.out.printf("replaced object seen after %.1f s (dataset refresh %s)%n", seen, DATASET_REFRESH);
                assertTrue(seen <= DATASET_REFRESH.toSeconds() + 10, "seen within the refresh interval and a "
                        + "listing: " + seen + " s");

                proxy.mode(FaultProxy.Mode.BLACKHOLE);
                g.say("blackhole");
                JsonNode blackholed = g.await("blackholed");
                proxy.mode(FaultProxy.Mode.PASS);
                g.say("pass");
                JsonNode recovered = g.await("recovered");
                proxy.mode(FaultProxy.Mode.REFUSE);
                g.say("refuse");
                JsonNode refused = g.await("refused");
                VmNfsClient.Result r = guest.get(2, TimeUnit.MINUTES);
                System.out.println(r.stdout());
                r.assertSuccess();
                System.out.printf("uncached read failed after %.1f s (%s) with S3 blackholed, %.1f s (%s) refused; "
                                + "reads recovered %.1f s after S3 came back%n",
                        blackholed.get("seconds").asDouble(), blackholed.get("error").asText(),
                        refused.get("seconds").asDouble(), refused.get("error").asText(),
                        recovered.get("seconds").asDouble());
                assertEquals("EIO", blackholed.get("error").asText());
                assertEquals("EIO", refused.get("error").asText());
                // fail fast: seconds, where an unanswered S3 request used to hold a read until the API timeout
                // and the kernel client then retried NFS4ERR_DELAY until S3 was back
                assertTrue(blackholed.get("seconds").asDouble() < 20, "blackholed: " + blackholed);
                assertTrue(refused.get("seconds").asDouble() < 5, "refused: " + refused);
            }
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    private static String put(S3ProxyFixture s3, String key, int size, Random random) throws Exception {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        s3.put(BUCKET, key, bytes);
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    private static int[] permutation(int n, Random random) {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(i);
        }
        Collections.shuffle(list, random);
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Map<String, Long> counts(FaultProxy proxy) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String kind : List.of("GET", "HEAD", "LIST")) {
            m.put(kind, proxy.count(kind));
        }
        return m;
    }

    private static Map<String, Long> minus(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> m = new LinkedHashMap<>();
        a.forEach((k, v) -> m.put(k, v - b.get(k)));
        return m;
    }

    private static double namesBytes(PrometheusMeterRegistry meters, String where) {
        return meters.get("prefetchd.metadata.dataset.names.bytes").tag("where", where).gauge().value();
    }
}

package io.prefetchd.gateway.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.GuestHandshake;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.gateway.testing.VmTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through the real Linux kernel client, a stalled S3 does not hold up cached reads: on a gateway with two NFS
 * workers, one guest process reads eight files that are not cached while every GET is held, and another process
 * reads the cached files three times over and finishes while those READs still wait; once S3 answers, the
 * uncached files arrive with the right bytes. Reads are O_DIRECT, so each one reaches the gateway.
 */
class SlowS3LinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WORKERS = 2;
    private static final int HOT = 6;
    private static final int COLD = 8;

    @Test
    void cachedReads_finish_whileUncachedReadsWaitOnAStalledS3(@TempDir Path tmp) throws Exception {
        VmTestSupport.requireVm(VM);
        Path work = VmTestSupport.workFolder("slow-s3-it-");
        InMemoryObjectStore store = new InMemoryObjectStore("slow", Clock.systemUTC());
        Random random = new Random(17);
        Map<String, String> hot = new LinkedHashMap<>();
        Map<String, String> cold = new LinkedHashMap<>();
        for (int i = 0; i < HOT; i++) {
            hot.put("hot/" + i + ".bin", put(store, "hot/" + i + ".bin", 150_000 + random.nextInt(100_000), random));
        }
        for (int i = 0; i < COLD; i++) {
            cold.put("cold/" + i + ".bin", put(store, "cold/" + i + ".bin", 200_000 + random.nextInt(100_000), random));
        }
        JSON.writeValue(work.resolve("files.json").toFile(), Map.of("hot", hot, "cold", cold));
        Path script = GuestScripts.writeScript("slow_s3.py", work);

        GatewayConfig c = new GatewayConfig();
        c.setStateDir(tmp.resolve("state").toString());
        c.getCache().setSize("64MiB");
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(0);
        c.getNfs().setWorkers(WORKERS);
        c.getNfs().setAttributeTtl(Duration.ofMinutes(10));
        CountDownLatch s3Answers = new CountDownLatch(1);
        Semaphore getsWaiting = new Semaphore(0);
        try (Gateway gw = Gateway.start(c, store, new SimpleMeterRegistry(), Clock.systemUTC())) {
            CompletableFuture<VmNfsClient.Result> guest = CompletableFuture.supplyAsync(() -> VM.run(
                    VmNfsClient.Options.mount(gw.nfsPort()).vers("4.1").share(work).timeout(Duration.ofMinutes(6)),
                    GuestScripts.GUEST_PYTHON, script.toString(), work.toString()));
            GuestHandshake g = new GuestHandshake(work, guest, Duration.ofMinutes(5));
            try {
                g.await("warm");
                store.setGetHook((key, offset, length) -> {
                    getsWaiting.release();
                    s3Answers.await();
                });
                g.say("stalled");
                assertTrue(getsWaiting.tryAcquire(COLD, 3, TimeUnit.MINUTES),
                        "every uncached file's READ reached S3, though the gateway has " + WORKERS + " workers");
                g.say("reads-waiting");
                JsonNode hotDone = g.await("hot-done");
                assertFalse(hotDone.get("cold_done").asBoolean(), "the uncached reads were still waiting on S3");
                System.out.printf("cached files read 3 times in %.2f s while %d uncached READs waited on S3%n",
                        hotDone.get("seconds").asDouble(), COLD);
            } finally {
                s3Answers.countDown();
                g.say("released");
            }
            VmNfsClient.Result r = guest.get(3, TimeUnit.MINUTES);
            System.out.println(r.stdout());
            r.assertSuccess();
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    private static String put(InMemoryObjectStore store, String key, int size, Random random) throws Exception {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        store.put(key, bytes);
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}

package io.prefetchd.gateway.linux;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A directory of 50,000 objects as the real Linux kernel client sees it: a name looked up before the directory is
 * listed, the whole directory listed by {@code ls -f} (READDIR pages, the client's growing buffer, cookies carried
 * from page to page) with every entry once and every inode number distinct, names looked up in it afterwards, and a
 * missing name. And a second directory listed while objects come and go in it, with a listing cache so small that
 * the snapshot a client pages through is dropped between its pages: the listing carries on by name, so every object
 * that exists throughout is listed exactly once. Over the in-memory object store, since what is checked is the
 * namespace, not S3.
 */
class BigDirectoryLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final int ENTRIES = 50_000;
    private static final int CHURNED = 20_000;

    private static String name(int i) {
        return String.format(Locale.ROOT, "sample_%07d.jpg", i);
    }

    @Test
    void lsAndStat_inADirectoryOf50000Objects_seeEveryEntryOnceWithItsSize(@TempDir Path work) throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        InMemoryObjectStore store = new InMemoryObjectStore("bigdir-it");
        for (int i = 0; i < ENTRIES; i++) {
            store.put("big/" + name(i), new byte[i % 97]);
        }
        GatewayConfig c = new GatewayConfig();
        c.setStateDir(work.resolve("state").toString());
        c.getS3().setBucket("bigdir-it");
        c.getCache().setSize("64MiB");
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(0);
        c.getNfs().setAttributeTtl(Duration.ofMillis(200));
        c.getNfs().setListingCacheSize("1MiB");
        for (int i = 0; i < CHURNED; i++) {
            store.put("churn/" + name(i), new byte[1]);
        }
        Path out = Files.createDirectories(work.resolve("out")).toAbsolutePath();
        AtomicBoolean churning = new AtomicBoolean(true);
        Thread churn = new Thread(() -> {
            for (int n = 0; churning.get(); n++) {
                store.put("churn/" + String.format(Locale.ROOT, "added_%07d", n), new byte[1]);
                store.put("churn/" + String.format(Locale.ROOT, "a_%07d", n), new byte[1]);
                if (n > 0) {
                    store.delete("churn/" + String.format(Locale.ROOT, "a_%07d", n - 1));
                }
                LockSupport.parkNanos(20_000_000);
            }
        }, "churn");
        try (Gateway gw = Gateway.start(c, store, new SimpleMeterRegistry(), Clock.systemUTC())) {
            churn.start();
            String stats = String.join(" ", List.of(0, 12_345, 33_333, ENTRIES - 1).stream()
                    .map(i -> "big/" + name(i)).toList());
            String cmd = "set -e; cd /mnt/nfs; "
                    + "stat -c '%s %n' big/" + name(7) + " > " + out + "/before.txt; "
                    + "ls -f big | wc -l > " + out + "/count.txt; "
                    + "ls -f big | sort -u | wc -l > " + out + "/unique.txt; "
                    + "ls -fi big | awk '{print $1}' | sort -u | wc -l > " + out + "/inodes.txt; "
                    + "stat -c '%s %n' " + stats + " > " + out + "/stat.txt; "
                    + "if stat big/sample_9999999.jpg 2> " + out + "/missing.err; then echo found; else echo missing; fi > "
                    + out + "/missing.txt; "
                    + "ls -f churn > " + out + "/churn.txt";
            VM.run(VmNfsClient.Options.mount(gw.nfsPort()).vers("4.1").share(out).timeout(Duration.ofMinutes(10)),
                    "sh", "-c", cmd).assertSuccess();
        } finally {
            churning.set(false);
            churn.join();
        }

        assertEquals("7 big/" + name(7), read(out, "before.txt"));
        assertEquals(String.valueOf(ENTRIES + 2), read(out, "count.txt"), "every entry, '.' and '..'");
        assertEquals(String.valueOf(ENTRIES + 2), read(out, "unique.txt"), "no entry twice");
        assertEquals(String.valueOf(ENTRIES + 2), read(out, "inodes.txt"), "distinct inode numbers");
        assertEquals(String.join("\n", "0 big/" + name(0), (12_345 % 97) + " big/" + name(12_345),
                (33_333 % 97) + " big/" + name(33_333), ((ENTRIES - 1) % 97) + " big/" + name(ENTRIES - 1)),
                read(out, "stat.txt"));
        assertEquals("missing", read(out, "missing.txt"));
        assertNotEquals("", read(out, "missing.err"));
        List<String> churned = Files.readAllLines(out.resolve("churn.txt"));
        assertEquals(churned.size(), new HashSet<>(churned).size(), "no entry twice while the directory changed");
        List<String> lasting = churned.stream().filter(n -> n.startsWith("sample_")).sorted().toList();
        assertEquals(IntStream.range(0, CHURNED).mapToObj(BigDirectoryLinuxIT::name).toList(), lasting,
                "every object that existed throughout, once");
    }

    private static String read(Path dir, String file) throws Exception {
        return Files.readString(dir.resolve(file)).strip();
    }
}

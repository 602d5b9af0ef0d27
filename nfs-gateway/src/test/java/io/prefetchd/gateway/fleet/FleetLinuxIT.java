package io.prefetchd.gateway.fleet;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.CountingBlobStore;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel client judges the fleet: three daemons (started as in production) on loopback over one S3Proxy, and one
 * guest that mounts two different members and reads every file through both, in one boot.
 */
class FleetLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final String BUCKET = "fleet-linux";
    private static final int GRAIN = 128 * 1024;

    @TempDir
    Path dir;

    private final List<ApplicationContext> daemons = new ArrayList<>();
    private S3ProxyFixture s3;

    @AfterEach
    void stop() {
        daemons.forEach(ApplicationContext::close);
        if (s3 != null) {
            s3.close();
        }
    }

    private static int freePort() throws IOException {
        return FleetGateways.freePort();
    }

    private static String md5(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    @Test
    void twoMountsOfTwoMembers_readEveryFileWithExactBytes_andS3SeesEachBlockAtMostOnce() throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        CountingBlobStore counting = new CountingBlobStore(new TransientNio2BlobStore());
        s3 = S3ProxyFixture.start(counting);
        s3.createBucket(BUCKET);
        Map<String, String> expected = new TreeMap<>();
        Random random = new Random(7);
        long blocks = 0;
        for (int i = 0; i < 6; i++) {
            byte[] b = new byte[(3 << 20) + 4099 * i];
            random.nextBytes(b);
            String key = "shards/shard-" + i + ".tar";
            s3.put(BUCKET, key, b);
            expected.put(key, md5(b));
            blocks += (b.length + GRAIN - 1) / GRAIN;
        }
        int[] fleetPorts = {freePort(), freePort(), freePort()};
        String members = "127.0.0.1:" + fleetPorts[0] + ",127.0.0.1:" + fleetPorts[1] + ",127.0.0.1:" + fleetPorts[2];
        List<Integer> nfsPorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> p = new LinkedHashMap<>(s3.daemonProperties(BUCKET, dir.resolve("member-" + i)));
            p.put("prefetchd.cache.size", "64MiB");
            p.put("prefetchd.fleet.name", "fleet-linux");
            p.put("prefetchd.fleet.port", fleetPorts[i]);
            p.put("prefetchd.fleet.members", members);
            ApplicationContext daemon = Daemon.start(p);
            daemons.add(daemon);
            nfsPorts.add(daemon.getBean(Gateway.class).nfsPort());
        }
        Path out = Files.createDirectories(dir.resolve("out")).toAbsolutePath();
        String cmd = "set -e; mkdir -p /mnt/b; "
                + "mount -t nfs4 -o vers=4.1,port=" + nfsPorts.get(1) + ",clientaddr=127.0.0.1,addr=$VM_NFS_SERVER "
                + "$VM_NFS_SERVER:/ /mnt/b; "
                + "grep -c nfs4 /proc/mounts > " + out + "/mounts.txt; "
                + "(cd /mnt/nfs && md5sum shards/*) > " + out + "/a.txt; "
                + "(cd /mnt/b && md5sum shards/*) > " + out + "/b.txt";

        VM.run(VmNfsClient.Options.mount(nfsPorts.get(0)).vers("4.1").forward(nfsPorts.get(1)).share(out)
                .timeout(Duration.ofMinutes(6)), "sh", "-c", cmd).assertSuccess();

        assertEquals("2", Files.readString(out.resolve("mounts.txt")).strip(), "two NFSv4 mounts");
        assertEquals(expected, parseMd5(Files.readString(out.resolve("a.txt"))), "through member 0");
        assertEquals(expected, parseMd5(Files.readString(out.resolve("b.txt"))), "through member 1");
        assertTrue(counting.gets() <= blocks, "the fleet sent " + counting.gets() + " GETs for " + blocks
                + " blocks read twice");
    }

    private static Map<String, String> parseMd5(String text) {
        Map<String, String> m = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                m.put(line.substring(34), line.substring(0, 32));
            }
        }
        return m;
    }
}

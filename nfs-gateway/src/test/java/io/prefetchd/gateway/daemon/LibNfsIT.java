package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.LibNfs;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** libnfs (Debian libnfs-utils), an NFSv4.0-only client: nfs-ls and nfs-cat against the gateway. */
class LibNfsIT {

    @Test
    void nfsCat_returnsTheExactBytes_andNfsLsListsTheFolder(@TempDir Path state) {
        LibNfs libnfs = LibNfs.locate();
        Prerequisites.require(libnfs.isAvailable(), libnfs.unavailableReason());
        byte[] data = new byte[5 * 1024 * 1024 + 7];
        new Random(5).nextBytes(data);
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket("libnfs");
            s3.put("libnfs", "dir/data.bin", data);
            s3.put("libnfs", "dir/hello.txt", "hello\n".getBytes());
            try (GatewayFixture gw = new GatewayFixture(s3, "libnfs", state).start()) {
                assertArrayEquals(data, libnfs.cat(gw.port(), "/dir/data.bin"));
                assertArrayEquals("hello\n".getBytes(), libnfs.cat(gw.port(), "/dir/hello.txt"));
                List<String> names = libnfs.ls(gw.port(), "/dir").stream()
                        .map(l -> l.substring(l.lastIndexOf(' ') + 1)).sorted().toList();
                assertEquals(List.of("data.bin", "hello.txt"), names);
            }
        }
    }
}

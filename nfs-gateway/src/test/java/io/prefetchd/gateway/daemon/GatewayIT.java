package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.FaultProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;
import static io.prefetchd.gateway.testing.Await.await;

/** The whole read path through a real TCP connection: our NFS client, the gateway, the disk cache, S3Proxy. */
class GatewayIT {
    private static S3ProxyFixture s3;
    private static final String BUCKET = "gateway-it";
    private static final byte[] BIG = new byte[3 * 1024 * 1024 + 123];

    @BeforeAll
    static void bucket() {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        new Random(42).nextBytes(BIG);
        s3.put(BUCKET, "data/big.bin", BIG);
        s3.put(BUCKET, "data/nested/deeper/small.txt", "small\n".getBytes());
        for (int i = 0; i < 50; i++) {
            s3.put(BUCKET, String.format("many/f%03d", i), new byte[] {(byte) i});
        }
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    @Test
    void readsExactBytes_concurrently_andARestartServesCachedRangesWithoutAGet(@TempDir Path state)
            throws Exception {
        try (GatewayFixture gw = new GatewayFixture(s3, BUCKET, state).start()) {
            byte[] handle;
            try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", gw.port())) {
                Nfs4Client.OpenFile f = c.open("/data/big.bin");
                assertEquals(BIG.length, f.size());
                assertArrayEquals(BIG, c.readAll(f, 1 << 20));
                handle = f.fh();
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<?>> reads = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        long seed = t;
                        reads.add(pool.submit(() -> {
                            Random r = new Random(seed);
                            for (int i = 0; i < 50; i++) {
                                int off = r.nextInt(BIG.length);
                                int len = 1 + r.nextInt(300_000);
                                byte[] got = c.read(f, off, len).data();
                                assertArrayEquals(Arrays.copyOfRange(BIG, off, Math.min(BIG.length, off + len)), got,
                                        "read " + off + "+" + len);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> fut : reads) {
                        fut.get();
                    }
                } finally {
                    pool.shutdown();
                }
                c.closeFile(f);
            }
            assertTrue(gw.s3Gets() > 0);

            gw.restart();
            assertEquals(0, gw.s3Gets());
            try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", gw.port())) {
                CompoundReply r = Nfs4Client.expectOk(c.call(b -> b.putfh(handle).getattr(Attr.SIZE)));
                assertEquals(BIG.length, r.last().as(CompoundReply.Fattr.class).size(),
                        "a handle from before the restart names the same object");
                Nfs4Client.OpenFile f = c.open("/data/big.bin");
                assertArrayEquals(BIG, c.readAll(f, 1 << 20));
            }
            assertEquals(0, gw.s3Gets(), "every range was cached before the restart");
        }
    }

    /**
     * A stop while a file's upload is in flight waits for it to land and be recorded: the next start has nothing
     * staged to upload again. The upload's answer is held by a proxy until the stop is waiting.
     */
    @Test
    void aStopDuringAnUpload_waitsForItToLand_andTheNextStartHasNothingToUpload(@TempDir Path state)
            throws Exception {
        byte[] saved = "model weights\n".getBytes(StandardCharsets.UTF_8);
        try (FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort());
             GatewayFixture gw = new GatewayFixture(s3, BUCKET, state).withWrites().through(proxy.port()).start()) {
            proxy.failNext(1, "^PUT /" + BUCKET + "/data/nested/saved.pt", FaultProxy.Fault.HOLD_ANSWER);
            try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", gw.port())) {
                Nfs4Client.OpenFile f = c.create("/data/nested/saved.pt");
                c.write(f, 0, Nfs4.FILE_SYNC4, saved);
                c.closeFile(f);
            }
            await(() -> proxy.injected() == 1, "the upload's PUT reached S3");   // after the 1 s upload delay
            Gateway running = gw.gateway();
            Thread stop = new Thread(running::close, "stop");
            stop.start();
            await(() -> stop.getState() == Thread.State.TIMED_WAITING, "the stop waiting");
            proxy.releaseAnswers();
            stop.join();

            gw.start();

            assertEquals(List.of(), gw.gateway().writes().orElseThrow().status().pending(),
                    "nothing staged to upload again");
            assertArrayEquals(saved, s3.get(BUCKET, "data/nested/saved.pt"));
        }
    }

    @Test
    void listsNestedFoldersAndManyFiles(@TempDir Path state) {
        try (GatewayFixture gw = new GatewayFixture(s3, BUCKET, state).start();
             Nfs4Client c = Nfs4Client.connect("127.0.0.1", gw.port())) {
            byte[] many = c.lookup("/many");
            CompoundReply.Readdir d = Nfs4Client.expectOk(c.call(b -> b.putfh(many)
                    .readdir(0, 0, 65536, 65536, Attr.TYPE, Attr.SIZE))).last().as(CompoundReply.Readdir.class);
            assertEquals(50, d.entries().size());
            assertTrue(d.eof());
            Nfs4Client.OpenFile small = c.open("/data/nested/deeper/small.txt");
            assertEquals("small\n", new String(c.readAll(small, 4096)));
            assertEquals(Nfs4.NF4DIR, Nfs4Client.expectOk(c.call(b -> b.putfh(c.lookup("/data/nested"))
                    .getattr(Attr.TYPE))).last().as(CompoundReply.Fattr.class).type());
        }
    }
}

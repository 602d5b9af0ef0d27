package io.prefetchd.benchmarks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.embedded.EmbeddedS3;
import io.prefetchd.gateway.s3api.S3ApiServer;
import io.prefetchd.gateway.s3api.S3ApiSettings;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * Question: once objects are in the extent cache, how does a ranged GET through the gateway's S3 endpoint compare
 * with the same ranged GET to the S3 server behind it?
 *
 * <p>Setup: an embedded S3 (S3Proxy over a local folder, unshaped: its reads come from the OS page cache) with
 * {@code files} objects of {@code fileMiB} MiB; the gateway on loopback with a cache large enough for all of them
 * and its S3 endpoint; every object read once through the endpoint to fill the cache. Then, in the same run, the
 * same sequence of random ranged GETs of {@code rangeKiB} KiB ({@code inFlight} at once, AWS SDK v2 async client)
 * against the backend and against the endpoint, alternating, {@code rounds} times. Both front ends are S3Proxy on
 * Jetty with SigV4, so the ratio is the cost of serving from the extent cache (lookup, checksummed blocks, traced
 * parts) against S3Proxy's own file store. The figure is the ratio, never an absolute.
 *
 * <p>Rerun: {@code java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*"
 * io.prefetchd.benchmarks.CachedRangedGetThroughput [files] [fileMiB] [rangeKiB] [inFlight] [gets] [rounds]}
 * (defaults 8 16 128 16 4000 3).
 */
public final class CachedRangedGetThroughput {
    private static final String BUCKET = "bench";
    private static final String KEY = "bench-s3-api";
    private static final String SECRET = "bench-s3-api-secret";

    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int fileMiB = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int rangeKiB = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        int gets = args.length > 4 ? Integer.parseInt(args[4]) : 4000;
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        Path work = Files.createTempDirectory("prefetchd-bench");
        System.out.printf(Locale.ROOT, "cached ranged GETs: %d objects x %d MiB, %d KiB ranges, %d in flight, %d GETs "
                + "x %d rounds; work %s%n", files, fileMiB, rangeKiB, inFlight, gets, rounds, work);
        try (EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"), BUCKET, 0)) {
            List<String> keys = new ArrayList<>();
            try (S3AsyncClient client = s3.newAsyncClient()) {
                for (int i = 0; i < files; i++) {
                    byte[] data = new byte[fileMiB << 20];
                    new Random(i).nextBytes(data);
                    String key = String.format("data/f%03d.bin", i);
                    client.putObject(b -> b.bucket(BUCKET).key(key), AsyncRequestBody.fromBytes(data)).join();
                    keys.add(key);
                }
            }
            GatewayConfig c = new GatewayConfig();
            c.setStateDir(work.resolve("state").toString());
            c.getS3().setEndpoint(s3.endpoint().toString());
            c.getS3().setBucket(BUCKET);
            c.getS3().setPathStyle(true);
            c.getS3().setAccessKey(s3.accessKey());
            c.getS3().setSecretKey(s3.secretKey());
            c.getCache().setSize(((long) files * fileMiB * 2 + 64) + "MiB");
            c.getNfs().setBind("127.0.0.1");
            c.getNfs().setPort(0);
            try (Gateway gw = Gateway.start(c, new SimpleMeterRegistry(), Clock.systemUTC());
                 S3ApiServer api = S3ApiServer.start(new S3ApiSettings("127.0.0.1", 0, KEY, SECRET, "", 1 << 20,
                                 Path.of(c.getStateDir()).resolve("s3-api")), BUCKET, gw.fileSystem(),
                         gw.readObserver(), new io.prefetchd.gateway.fs.Owner(0, 0, 0755), client -> false,
                         new SimpleMeterRegistry(), Clock.systemUTC());
                 S3AsyncClient backend = client(s3.endpoint(), s3.accessKey(), s3.secretKey(), inFlight);
                 S3AsyncClient endpoint = client(api.endpoint(), KEY, SECRET, inFlight)) {
                for (String k : keys) {   // fill the cache
                    endpoint.getObject(b -> b.bucket(BUCKET).key(k), AsyncResponseTransformer.toBytes()).join();
                }
                long size = (long) fileMiB << 20;
                int range = rangeKiB << 10;
                pass(backend, keys, size, range, inFlight, gets / 4, 1);   // warm both paths
                pass(endpoint, keys, size, range, inFlight, gets / 4, 1);
                double backendSecs = 0;
                double endpointSecs = 0;
                for (int r = 0; r < rounds; r++) {
                    backendSecs += pass(backend, keys, size, range, inFlight, gets, 100 + r);
                    endpointSecs += pass(endpoint, keys, size, range, inFlight, gets, 100 + r);
                }
                double b = (double) gets * rounds / backendSecs;
                double e = (double) gets * rounds / endpointSecs;
                System.out.printf(Locale.ROOT, "backend (S3Proxy over files):   %8.0f GETs/s, %8.1f MiB/s%n", b,
                        b * range / (1 << 20));
                System.out.printf(Locale.ROOT, "gateway S3 endpoint (cached):    %8.0f GETs/s, %8.1f MiB/s%n", e,
                        e * range / (1 << 20));
                System.out.printf(Locale.ROOT, "ratio endpoint / backend: %.2f%n", e / b);
            }
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // scratch space
            }
        }
    }

    private static S3AsyncClient client(URI endpoint, String key, String secret, int connections) {
        return S3AsyncClient.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(connections)).build();
    }

    /** {@code gets} random ranged GETs (seeded), {@code inFlight} at once; returns the seconds they took. */
    private static double pass(S3AsyncClient client, List<String> keys, long size, int range, int inFlight, int gets,
                               long seed) throws InterruptedException {
        Random rnd = new Random(seed);
        Semaphore slots = new Semaphore(inFlight);
        List<CompletableFuture<?>> all = new ArrayList<>(gets);
        long t0 = System.nanoTime();
        for (int i = 0; i < gets; i++) {
            String key = keys.get(rnd.nextInt(keys.size()));
            long off = (long) (rnd.nextDouble() * (size - range));
            slots.acquire();
            all.add(client.getObject(b -> b.bucket(BUCKET).key(key).range("bytes=" + off + "-" + (off + range - 1)),
                    AsyncResponseTransformer.toBytes()).whenComplete((r, e) -> {
                        slots.release();
                        if (e == null && r.asByteArray().length != range) {
                            throw new IllegalStateException("short GET of " + key + " at " + off);
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).join();
        return (System.nanoTime() - t0) / 1e9;
    }
}

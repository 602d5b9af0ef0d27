package io.prefetchd.benchmarks.harness;

import io.prefetchd.planner.units.Sizes;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The emulated S3 of a benchmark run: S3Proxy in this JVM over a local folder, behind a {@link ShapingBlobStore}
 * (first-byte latency with jitter, per-connection and aggregate bandwidth, request and byte counters).
 *
 * <p>Every contender that talks to S3 (prefetchd, direct GETs, s3fs, rclone) talks to this one endpoint over
 * HTTP on loopback, so all of them see the same latency and bandwidth and are counted the same way.
 */
public final class S3Emulator implements AutoCloseable {
    public static final String ACCESS_KEY = "bench-access";
    public static final String SECRET_KEY = "bench-secret-key";

    /** GETs kept in flight by the GET-rate check at first (doubled while latency, not the emulator, limits). */
    static final int RATE_IN_FLIGHT = 64;
    static final int RATE_MAX_IN_FLIGHT = 256;
    /** Unshaped GETs the rate check makes first, so that the emulator's hot paths are compiled before it counts. */
    static final int RATE_WARM_UP_GETS = 4000;
    /** The rate check counts completed GETs per window of this length and keeps the best window. */
    static final long RATE_WINDOW_MILLIS = 1000;
    /**
     * It stops after at least {@link #RATE_MIN_WINDOWS} windows once {@link #RATE_PLATEAU_WINDOWS} in a row gained less
     * than {@link #RATE_GAIN} over the best, or after {@link #RATE_MAX_WINDOWS}.
     */
    static final int RATE_MIN_WINDOWS = 5;
    static final int RATE_PLATEAU_WINDOWS = 3;
    static final double RATE_GAIN = 0.05;
    static final int RATE_MAX_WINDOWS = 30;
    /** A measured rate at or above this fraction of the latency ceiling was limited by the concurrency. */
    static final double RATE_LATENCY_BOUND = 0.8;

    private final S3Proxy proxy;
    private final ShapingBlobStore store;
    private final String bucket;
    private final URI endpoint;
    private final S3Profile profile;

    /** Counter values at one moment; subtract two to get what happened in between. */
    public record Counters(long gets, long getBytes, long heads, long lists) {
        public Counters minus(Counters o) {
            return new Counters(gets - o.gets, getBytes - o.getBytes, heads - o.heads, lists - o.lists);
        }
    }

    /** What the self-check measured. */
    public record SelfCheck(double smallGetMillis, int smallBytes, double largeGetMillis, long largeBytes,
                            double largeMiBps, double expectedSmallMillis, double expectedLargeMillis,
                            double unshapedSmallMillis, double unshapedLargeMillis, GetRate getRate) {
    }

    /**
     * The GET rate the emulator sustained: {@code perSecond} GETs of {@code bodyBytes} completed per second in the
     * best window while {@code inFlight} were kept in flight, out of {@code requests} GETs in the {@code seconds} of
     * the windows counted (the warm-up not included). The two
     * ceilings are what the shaping alone would allow at that concurrency and size: {@code inFlight / (latency +
     * body at the per-connection bandwidth)} and {@code aggregate bandwidth / bodyBytes} (infinite when unlimited);
     * a rate well below both is the cost of the machine (S3Proxy, HTTP, the client) per request.
     */
    public record GetRate(int bodyBytes, int inFlight, long requests, double seconds, double perSecond,
                          double latencyCeiling, double bandwidthCeiling) {
    }

    private S3Emulator(S3Proxy proxy, ShapingBlobStore store, String bucket, URI endpoint, S3Profile profile) {
        this.proxy = proxy;
        this.store = store;
        this.bucket = bucket;
        this.endpoint = endpoint;
        this.profile = profile;
    }

    /** Starts the server over {@code dir} with {@code bucket} created; shaping starts off. */
    public static S3Emulator start(Path dir, String bucket, S3Profile profile) throws Exception {
        Files.createDirectories(dir);
        FilesystemNio2BlobStore fs = new FilesystemNio2BlobStore(dir.toAbsolutePath().toString());
        if (!fs.containerExists(bucket)) {
            fs.createContainer(bucket);
        }
        ShapingBlobStore shaping = new ShapingBlobStore(fs, profile);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(shaping)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)   // the SDK's multipart client sends x-amz-mp-object-size
                .jettyMaxThreads(512)
                .stopTimeout(2000)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IOException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        return new S3Emulator(proxy, shaping, bucket, URI.create("http://127.0.0.1:" + proxy.getPort()), profile);
    }

    public URI endpoint() {
        return endpoint;
    }

    public String bucket() {
        return bucket;
    }

    public S3Profile profile() {
        return profile;
    }

    public void setShaping(boolean on) {
        store.setShaping(on);
    }

    boolean shapingOn() {
        return store.shapingOn();
    }

    /** Uploads received (PutObject and UploadPart) and their body bytes: {@code [requests, bytes]}. */
    public long[] uploads() {
        return new long[] {store.puts.sum(), store.putBytes.sum()};
    }

    public Counters counters() {
        return new Counters(store.gets.sum(), store.getBytes.sum(), store.heads.sum(), store.lists.sum());
    }

    /** An async client for this server; {@code connections} bounds its pool. The caller closes it. */
    public S3AsyncClient newClient(int connections) {
        return S3AsyncClient.builder()
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                        SECRET_KEY)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(connections)
                        .connectionAcquisitionTimeout(Duration.ofMinutes(2)))
                .build();
    }

    /**
     * Times small ranged GETs and one large GET of {@code key}, first with shaping off (what the machine and
     * S3Proxy cost by themselves), then on, and prints them next to what the profile asks for. Small GETs are
     * 4 KiB, the median of five; the large GET reads a 16 MiB object uploaded for the check (and deleted after).
     * Then measures the GET rate ({@link #measureGetRate}) with ranged GETs of {@code rateGetBytes}, shaped.
     */
    public SelfCheck selfCheck(PrintStream out, int rateGetBytes) {
        String key = "_selfcheck/blob";
        long size = 16L << 20;
        boolean was = store.shapingOn();
        try (S3AsyncClient c = newClient(2)) {
            store.setShaping(false);
            byte[] blob = new byte[(int) size];
            new java.util.SplittableRandom(profile.seed()).nextBytes(blob);
            c.putObject(b -> b.bucket(bucket).key(key), software.amazon.awssdk.core.async.AsyncRequestBody
                    .fromBytes(blob)).join();
            store.setShaping(false);
            get(c, key, 0, 1024);   // connection setup and JIT out of the figures
            int small = 4096;
            long large = Math.min(size, 16L << 20);
            double rawSmall = medianSmall(c, key, small);
            long t0 = System.nanoTime();
            get(c, key, 0, large);
            double rawLarge = (System.nanoTime() - t0) / 1e6;
            store.setShaping(true);
            Counters before = counters();
            double smallMs = medianSmall(c, key, small);
            Counters five = counters().minus(before);
            if (five.heads() + five.lists() > 0 || five.gets() != 5) {
                out.println("emulated S3 self-check: five GETs reached the store as " + five
                        + " (each call pays the first-byte latency)");
            }
            t0 = System.nanoTime();
            get(c, key, 0, large);
            double largeMs = (System.nanoTime() - t0) / 1e6;
            long bw = minPositive(profile.perConnectionBytesPerSecond(), profile.aggregateBytesPerSecond());
            double expSmall = profile.firstByteMillis() + (bw > 0 ? small * 1e3 / bw : 0);
            double expLarge = profile.firstByteMillis() + (bw > 0 ? large * 1e3 / bw : 0);
            double mibps = largeMs > smallMs ? large / 1048576.0 / ((largeMs - smallMs) / 1e3) : Double.NaN;
            out.printf(Locale.ROOT, "emulated S3 self-check (unshaped: 4 KiB GET %.1f ms, %.1f MiB GET %.1f ms = this "
                            + "machine's own cost):%n  4 KiB ranged GET %.1f ms median of 5 (asked: %.1f ms +- %.1f); "
                            + "%.1f MiB GET %.1f ms (asked: %.1f ms), body ~%.0f MiB/s (asked: %s per connection, %s "
                            + "aggregate)%n", rawSmall, large / 1048576.0, rawLarge, smallMs, expSmall,
                    profile.jitterMillis(), large / 1048576.0, largeMs, expLarge, mibps,
                    rate(profile.perConnectionBytesPerSecond()), rate(profile.aggregateBytesPerSecond()));
            GetRate getRate = measureGetRate(key, size, rateGetBytes);
            out.printf(Locale.ROOT, "  GET rate: %,.0f GETs/s of %s ranged GETs with %d in flight (the best 1 s of %,d "
                            + "GETs in %.0f s after a warm-up; the shaping alone would allow %s by latency, %s by "
                            + "bandwidth)%n", getRate.perSecond(), Sizes.format(getRate.bodyBytes()),
                    getRate.inFlight(), getRate.requests(), getRate.seconds(), perSecond(getRate.latencyCeiling()),
                    perSecond(getRate.bandwidthCeiling()));
            store.setShaping(false);
            c.deleteObject(b -> b.bucket(bucket).key(key)).join();
            return new SelfCheck(smallMs, small, largeMs, large, mibps, expSmall, expLarge, rawSmall, rawLarge,
                    getRate);
        } finally {
            store.setShaping(was);
        }
    }

    /**
     * Measures how many ranged GETs of {@code bodyBytes} per second this emulator serves, shaped as contenders see
     * it, by keeping {@value #RATE_IN_FLIGHT} GETs in flight from one client and counting completions in windows of
     * {@value #RATE_WINDOW_MILLIS} ms. The JVM serving the emulator speeds up severalfold as it compiles its hot
     * paths, and a run's contenders read through a warm one, so {@value #RATE_WARM_UP_GETS} unshaped GETs (no
     * latency: as fast as the machine serves them) come first, and the shaped check goes on for at least
     * {@value #RATE_MIN_WINDOWS} windows and until {@value #RATE_PLATEAU_WINDOWS} in a row beat the best by less than
     * {@value #RATE_GAIN}, or for at most {@value #RATE_MAX_WINDOWS} windows. The best window is the rate: the
     * highest rate seen keeps GETs / rate a lower bound on time. When that rate comes within
     * {@value #RATE_LATENCY_BOUND} of what latency alone allows at that concurrency, the concurrency was the limit,
     * not the emulator: it is doubled and measured again, up to {@value #RATE_MAX_IN_FLIGHT} in flight.
     *
     * <p>Keeps the shaping as it finds it. {@code key} must name an object of {@code objectSize} bytes.
     */
    public GetRate measureGetRate(String key, long objectSize, int bodyBytes) {
        if (bodyBytes <= 0 || bodyBytes > objectSize) {
            throw new IllegalArgumentException("bodyBytes must be in (0, " + objectSize + "], not " + bodyBytes);
        }
        boolean was = store.shapingOn();
        try {
            GetRate r;
            int inFlight = RATE_IN_FLIGHT;
            do {
                r = measureGetRate(key, objectSize, bodyBytes, inFlight);
                inFlight *= 2;
            } while (r.perSecond() >= RATE_LATENCY_BOUND * r.latencyCeiling() && inFlight <= RATE_MAX_IN_FLIGHT);
            return r;
        } finally {
            store.setShaping(was);
        }
    }

    private GetRate measureGetRate(String key, long objectSize, int bodyBytes, int inFlight) {
        try (S3AsyncClient c = newClient(inFlight)) {
            Semaphore slots = new Semaphore(inFlight);
            AtomicLong done = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.SplittableRandom offsets = new java.util.SplittableRandom(profile.seed());
            long windowNanos = RATE_WINDOW_MILLIS * 1_000_000L;
            long windowStart = 0;
            long doneAtWindowStart = 0;
            long counted = 0;
            long countedNanos = 0;
            boolean shaped = false;
            double best = 0;
            int windows = 0;   // -1 while the first shaped window, which GETs issued unshaped finish in, runs
            int flat = 0;
            store.setShaping(false);
            while (failure.get() == null && windows < RATE_MAX_WINDOWS
                    && (windows < RATE_MIN_WINDOWS || flat < RATE_PLATEAU_WINDOWS)) {
                slots.acquireUninterruptibly();
                long now = System.nanoTime();
                long d = done.get();
                if (!shaped && d >= RATE_WARM_UP_GETS) {
                    store.setShaping(true);
                    shaped = true;
                    windows = -1;
                    windowStart = now;
                    doneAtWindowStart = d;
                } else if (shaped && now - windowStart >= windowNanos) {
                    if (windows >= 0) {
                        double rate = (d - doneAtWindowStart) / ((now - windowStart) / 1e9);
                        counted += d - doneAtWindowStart;
                        countedNanos += now - windowStart;
                        flat = rate > best * (1 + RATE_GAIN) ? 0 : flat + 1;
                        best = Math.max(best, rate);
                    }
                    windows++;
                    windowStart = now;
                    doneAtWindowStart = d;
                }
                long from = offsets.nextLong(objectSize - bodyBytes + 1);
                c.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + from + "-" + (from + bodyBytes - 1)),
                        AsyncResponseTransformer.toBytes()).whenComplete((r, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                            done.incrementAndGet();
                            slots.release();
                        });
            }
            slots.acquireUninterruptibly(inFlight);   // the GETs still in flight finish before the client closes
            if (failure.get() != null) {
                throw new IllegalStateException("a GET of the rate check failed", failure.get());
            }
            long connBw = profile.perConnectionBytesPerSecond();
            double perRequest = profile.firstByteMillis() / 1e3 + (connBw > 0 ? (double) bodyBytes / connBw : 0);
            double latencyCeiling = perRequest > 0 ? inFlight / perRequest : Double.POSITIVE_INFINITY;
            long aggregate = profile.aggregateBytesPerSecond();
            double bandwidthCeiling = aggregate > 0 ? (double) aggregate / bodyBytes : Double.POSITIVE_INFINITY;
            return new GetRate(bodyBytes, inFlight, counted, countedNanos / 1e9, best, latencyCeiling,
                    bandwidthCeiling);
        }
    }

    private static String perSecond(double v) {
        return Double.isInfinite(v) ? "no limit" : String.format(Locale.ROOT, "%,.0f/s", v);
    }

    private double medianSmall(S3AsyncClient c, String key, int bytes) {
        double[] t = new double[5];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            get(c, key, 0, bytes);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }

    private void get(S3AsyncClient c, String key, long from, long len) {
        c.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + from + "-" + (from + len - 1)),
                AsyncResponseTransformer.toBytes()).join();
    }

    static String rate(long bps) {
        return bps <= 0 ? "unlimited" : String.format(Locale.ROOT, "%.0f MiB/s", bps / 1048576.0);
    }

    private static long minPositive(long a, long b) {
        if (a <= 0) {
            return b;
        }
        return b <= 0 ? a : Math.min(a, b);
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            store.close();
        }
    }
}

package io.prefetchd.benchmarks.harness;

import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.planner.json.Json;
import io.prefetchd.planner.units.Sizes;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.ArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write benchmark: one checkpoint-sized file written three ways in one run, against the same emulated S3.
 *
 * <ol>
 *   <li><b>local disk</b>: copied to a local file and forced (what writing the checkpoint next to the job costs);</li>
 *   <li><b>direct multipart</b>: the AWS SDK's own multipart upload of the file to the emulated S3 (what a job
 *       that uploads its checkpoint itself gets);</li>
 *   <li><b>through prefetchd</b>: written over NFSv4.1 into a read-write gateway by the project's client as the
 *       kernel client writes large files (1 MiB UNSTABLE WRITEs, 8 in flight, COMMIT, CLOSE), then the time until
 *       the object is visible in the emulated S3 (the gateway sends its parts while it is written, and completes
 *       the upload after the close), with how many parts went up before and after the close.</li>
 * </ol>
 *
 * With {@code --warmup SIZE}, each of the two uploading contenders first moves a file of that size the same way (the
 * direct one with the same SDK client, the gateway through the same daemon, until the object is visible), as a job
 * that writes many checkpoints does. The gateway then copies the warm-up file into its read cache while the measured
 * file is written, so the figure is that of a checkpoint written right after another, not of an idle warm gateway;
 * with {@code --idle} too, the measured file waits until the gateway has nothing staged any more (the warm-up file
 * uploaded and in its read cache), as a gateway that has served a while and saves its next checkpoint minutes after
 * the last one. By default (0) the first round measures both as fresh processes.
 *
 * <p>The two uploads run {@code --rounds} times (default 2), the direct one first in odd rounds and the gateway first
 * in even ones, by one daemon and one emulated S3 for the whole run: from the second round on, the daemon is as warm
 * as the SDK client's code in this JVM. Order matters on a machine whose memory is not all equally cheap: on a
 * virtual machine that hands freed memory back to its host, a page touched for the first time in a while costs far
 * more than one used a moment ago, and S3Proxy's completion writes the whole object a second time, so whichever upload
 * ran first could find its completion 3-4 s cheaper. Each round prints its table; the run ends with the ratio of
 * every round and their median.
 *
 * <p>With {@code --rename}, the gateway's files are written under a temporary name ({@code NAME.tmp}) and renamed
 * into place right after their close, as checkpoint writers that save to a temporary file and {@code os.replace}
 * it do; the time until visible is until the final name is in S3, and the run then checks that the temporary
 * name is gone from S3.
 *
 * <p>Writes {@code write.json} (each round's figures) to {@code --out}. Every object's MD5 is checked against the
 * file's.
 */
@Command(name = "run-write", mixinStandardHelpOptions = true,
        description = "Write one large file through a read-write prefetchd and compare with a direct multipart upload.")
public final class WriteBench implements Callable<Integer> {
    private static final int NFS_WRITE = 1 << 20;
    private static final int NFS_IN_FLIGHT = 8;

    @Option(names = "--size", description = "File size. Default: ${DEFAULT-VALUE}")
    String size = "1GiB";
    @Option(names = "--latency-ms", description = "S3 first-byte latency. Default: ${DEFAULT-VALUE}")
    double latencyMs = 40;
    @Option(names = "--jitter-ms", description = "First-byte latency is uniform in latency +- jitter. Default: ${DEFAULT-VALUE}")
    double jitterMs = 20;
    @Option(names = "--bandwidth", description = "Aggregate S3 upload bandwidth per second (0 = unlimited). Default: ${DEFAULT-VALUE}")
    String bandwidth = "0";
    @Option(names = "--conn-bandwidth", description = "Per-connection S3 bandwidth per second (0 = unlimited). Default: ${DEFAULT-VALUE}")
    String connBandwidth = "0";
    @Option(names = "--work", description = "Scratch folder. Default: a temp folder, deleted after")
    Path work;
    @Option(names = "--out", description = "Folder for write.json. Default: the work folder")
    Path out;
    @Option(names = "--daemon-heap", description = "Heap of the prefetchd daemon JVM; bin/prefetchd's default, which also "
            + "sizes how many parts of a file go up while it is written (an eighth of it). Default: ${DEFAULT-VALUE}")
    String daemonHeap = "2g";
    @Option(names = "--daemon-java-option", description = "An option for the prefetchd daemon's JVM (a profiler, a "
            + "JIT setting); repeatable")
    List<String> daemonJavaOptions = new ArrayList<>();
    @Option(names = "--warmup", description = "A file of this size is moved first by each uploading contender, "
            + "unmeasured (0: fresh processes). Default: ${DEFAULT-VALUE}")
    String warmup = "0";
    @Option(names = "--idle", description = "With --warmup: the measured file waits until the gateway has nothing "
            + "staged (the warm-up file uploaded and in its read cache). Default: ${DEFAULT-VALUE}")
    boolean idle;
    @Option(names = "--rounds", description = "Rounds of both uploads, by one daemon and one emulated S3; odd rounds "
            + "upload directly first, even ones through prefetchd first. Default: ${DEFAULT-VALUE}")
    int rounds = 2;
    @Option(names = "--rename", description = "Write the gateway's file as NAME.tmp and rename it into place after "
            + "its close (os.replace). Default: ${DEFAULT-VALUE}")
    boolean rename;

    public static void main(String[] args) {
        System.exit(new CommandLine(new WriteBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must be at least 1");
        }
        long bytes = Sizes.parse(size);
        boolean temp = work == null;
        Path w = temp ? Files.createTempDirectory("prefetchd-write-bench") : Files.createDirectories(work);
        Path o = out == null ? w : out;
        Files.createDirectories(o);
        S3Profile profile = new S3Profile(latencyMs, jitterMs, Sizes.parse(bandwidth), Sizes.parse(connBandwidth), 1);
        try {
            Path file = w.resolve("checkpoint.bin");
            String md5 = generate(file, bytes, 7);
            System.out.printf(Locale.ROOT, "generated %s (%s), md5 %s%n", file, Sizes.format(bytes), md5);
            long warmupBytes = Sizes.parse(warmup);
            Path warm = warmupBytes > 0 ? w.resolve("warmup.bin") : null;
            if (warm != null) {
                generate(warm, warmupBytes, 8);   // other bytes than the measured file's
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("bytes", bytes);
            result.put("warmup_bytes", warmupBytes);
            result.put("renamed_into_place", rename);
            result.put("idle_before_measured", idle && warm != null);
            result.put("daemon_java_options", daemonJavaOptions);
            result.put("profile", profile);
            double local = localCopy(file, w.resolve("local-copy.bin"));
            result.put("local_disk_seconds", local);
            List<Map<String, Object>> byRound = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            List<Double> beforeCompletion = new ArrayList<>();
            try (S3Emulator s3 = S3Emulator.start(w.resolve("s3"), "bench", profile)) {
                s3.setShaping(true);
                PrefetchdContender.Daemon daemon = startDaemon(s3, w.resolve("gateway"));
                try {
                    for (int r = 0; r < rounds; r++) {
                        boolean gatewayFirst = r % 2 == 1;
                        System.out.printf(Locale.ROOT, "%nround %d of %d: %s first%n", r + 1, rounds,
                                gatewayFirst ? "prefetchd" : "the direct upload");
                        Direct d = gatewayFirst ? null : directUpload(s3, warm, file, r, md5);
                        Gateway g = throughGateway(s3, daemon, warm, file, r, md5);
                        if (d == null) {
                            d = directUpload(s3, warm, file, r, md5);
                        }
                        print(bytes, local, d, g);
                        printCpu(bytes, d.cpuByThread(), g);
                        ratios.add(d.seconds() / g.totalSeconds());
                        beforeCompletion.add(d.beforeCompletion() / g.beforeCompletion());
                        byRound.add(roundJson(gatewayFirst, d, g));
                    }
                } finally {
                    daemon.stop();
                }
            }
            result.put("rounds", byRound);
            result.put("through_prefetchd_over_direct_by_round", ratios);
            double median = median(ratios);
            result.put("through_prefetchd_over_direct_median", median);
            result.put("before_completion_over_direct_by_round", beforeCompletion);
            result.put("before_completion_over_direct_median", median(beforeCompletion));
            if (rounds > 1) {
                System.out.printf(Locale.ROOT, "%nthrough prefetchd / direct multipart, by round (odd: direct first, "
                        + "even: prefetchd first): %s; median %.2fx%n", ratios.stream()
                        .map(x -> String.format(Locale.ROOT, "%.2fx", x)).toList(), median);
                System.out.printf(Locale.ROOT, "the same until CompleteMultipartUpload is sent (the emulator's "
                        + "completion left out): %s; median %.2fx%n", beforeCompletion.stream()
                        .map(x -> String.format(Locale.ROOT, "%.2fx", x)).toList(), median(beforeCompletion));
            }
            Files.writeString(o.resolve("write.json"), Json.pretty(result));
            System.out.println("wrote " + o.resolve("write.json"));
            return 0;
        } finally {
            if (temp) {
                try (var walk = Files.walk(w)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static Map<String, Object> roundJson(boolean gatewayFirst, Direct d, Gateway g) {
        Map<String, Object> round = new LinkedHashMap<>();
        round.put("first", gatewayFirst ? "prefetchd" : "direct");
        round.put("direct_multipart_seconds", d.seconds());
        round.put("direct_complete_multipart_seconds", d.completeSeconds());
        round.put("direct_multipart_cpu_seconds_by_thread", d.cpuByThread());
        round.put("nfs_write_seconds", g.writeSeconds());
        round.put("nfs_write_daemon_cpu_seconds", g.daemonCpuSeconds());
        round.put("nfs_write_harness_cpu_seconds", g.harnessCpuSeconds());
        round.put("close_to_visible_seconds", g.visibleSeconds());
        round.put("complete_multipart_seconds", g.completeSeconds());
        round.put("commit_seconds", g.commitSeconds());
        round.put("parts_sent_while_writing", g.partsWhileWriting());
        round.put("parts_sent_after_close", g.partsAtUpload());
        round.put("write_to_visible_daemon_cpu_seconds_by_thread", g.daemonThreads());
        round.put("write_to_visible_harness_cpu_seconds_by_thread", g.harnessThreads());
        return round;
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /**
     * The gateway's figures: seconds to write (of which the COMMIT took {@code commitSeconds}: the staged bytes forced
     * to disk, from the gateway's NFS operation timer), seconds from the close until visible, how long the
     * CompleteMultipartUpload request took ({@code completeSeconds}, from the gateway's S3 latency timer; it may start
     * before the harness sees its close answered), parts sent before and after.
     *
     * @param daemonCpuSeconds  CPU time the daemon process used while the file was written over NFS (its parts
     *                          uploaded meanwhile included)
     * @param harnessCpuSeconds CPU time this process (the NFS writer and the emulated S3) used meanwhile
     * @param daemonThreads     the daemon's CPU seconds from the first WRITE until the object was visible, by thread
     * @param harnessThreads    this process's, the same way
     */
    private record Gateway(double writeSeconds, double commitSeconds, double visibleSeconds, double completeSeconds,
                           long partsWhileWriting, long partsAtUpload, double daemonCpuSeconds, double harnessCpuSeconds,
                           Map<String, Double> daemonThreads, Map<String, Double> harnessThreads) {
        /** Seconds from the first WRITE until the object is visible in S3. */
        double totalSeconds() {
            return writeSeconds + visibleSeconds;
        }

        /** Seconds from the first WRITE until the CompleteMultipartUpload request (the emulator's work) was sent. */
        double beforeCompletion() {
            return totalSeconds() - completeSeconds;
        }
    }

    /**
     * S3Proxy serves requests on its Jetty pool ({@code S3Proxy-Jetty-N}) and completes an unconditional multipart
     * upload on a thread of its own ({@code Thread-N}, counted among the ended threads once it is gone); the rest of
     * this process is the writer or the SDK client, with this JVM's compilers and collector.
     */
    private static double emulator(Map<String, Double> harness) {
        return harness.entrySet().stream().filter(e -> e.getKey().startsWith("S3Proxy") || e.getKey().equals("Thread"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static double sum(Map<String, Double> threads) {
        return threads.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private static void printCpu(long bytes, Map<String, Double> direct, Gateway g) {
        double gib = bytes / (double) (1L << 30);
        System.out.printf(Locale.ROOT, "%nCPU seconds per GiB, to the object visible in S3:%n");
        System.out.printf(Locale.ROOT, "  direct multipart:  client %.2f, emulated S3 %.2f (total %.2f)%n",
                (sum(direct) - emulator(direct)) / gib, emulator(direct) / gib, sum(direct) / gib);
        System.out.printf(Locale.ROOT, "  through prefetchd: NFS writer %.2f, gateway %.2f, emulated S3 %.2f "
                + "(total %.2f)%n", (sum(g.harnessThreads()) - emulator(g.harnessThreads())) / gib,
                sum(g.daemonThreads()) / gib, emulator(g.harnessThreads()) / gib,
                (sum(g.harnessThreads()) + sum(g.daemonThreads())) / gib);
        System.out.printf(Locale.ROOT, "  gateway threads: %s%n", top(g.daemonThreads()));
        System.out.printf(Locale.ROOT, "  harness threads (prefetchd run): %s%n", top(g.harnessThreads()));
        System.out.printf(Locale.ROOT, "  harness threads (direct run): %s%n", top(direct));
    }

    private static String top(Map<String, Double> threads) {
        StringBuilder b = new StringBuilder();
        threads.entrySet().stream().filter(e -> e.getValue() >= 0.05).limit(10).forEach(e -> b.append(
                b.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue())));
        return b.toString();
    }

    private static double cpuSeconds(ProcessHandle p) {
        return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /** The daemon's counters and gauges from {@code /metrics}, by series (name with labels). */
    private static Map<String, Double> metrics(int httpPort) throws IOException, InterruptedException {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String text = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int space = line.lastIndexOf(' ');
            if (line.startsWith("#") || space < 0) {
                continue;
            }
            try {
                out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                // not a sample
            }
        }
        return out;
    }

    private static void print(long bytes, double local, Direct d, Gateway g) {
        double mib = bytes / (1024.0 * 1024);
        double direct = d.seconds();
        double total = g.totalSeconds();
        System.out.printf(Locale.ROOT, "%n%-44s %9s %9s%n", "what", "seconds", "MiB/s");
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9.1f%n", "local disk (copy + fsync)", local, mib / local);
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9.1f%n", "direct multipart upload (AWS SDK)", direct, mib / direct);
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9s%n", "  of which CompleteMultipartUpload",
                d.completeSeconds(), "");
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9.1f%n", "prefetchd: NFS write into staging (to close)",
                g.writeSeconds(), mib / g.writeSeconds());
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9s%n", "  of which COMMIT (staged bytes to disk)",
                g.commitSeconds(), "");
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9s%n", "prefetchd: close until visible in S3",
                g.visibleSeconds(), "");
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9s%n", "  of which CompleteMultipartUpload",
                g.completeSeconds(), "");
        System.out.printf(Locale.ROOT, "%-44s %9.2f %9.1f%n", "prefetchd: write until visible in S3", total,
                mib / total);
        System.out.printf(Locale.ROOT, "%nparts uploaded while the file was written: %d; after the close: %d%n",
                g.partsWhileWriting(), g.partsAtUpload());
        System.out.printf(Locale.ROOT, "through prefetchd to S3 / direct multipart: %.2fx the throughput%n",
                direct / total);
        System.out.printf(Locale.ROOT, "  until CompleteMultipartUpload is sent:   %.2fx%n",
                d.beforeCompletion() / g.beforeCompletion());
        System.out.printf(Locale.ROOT, "NFS write into staging / local disk:       %.2fx the throughput%n",
                local / g.writeSeconds());
        System.out.printf(Locale.ROOT, "CPU while writing over NFS: daemon %.2f s (%.2f ms per MiB, uploads included), "
                + "writer and emulated S3 %.2f s%n", g.daemonCpuSeconds(), g.daemonCpuSeconds() * 1e3 / mib,
                g.harnessCpuSeconds());
    }

    /** Writes {@code bytes} of seeded random data; returns their MD5. */
    private static String generate(Path file, long bytes, long seed) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) {
                for (int i = 0; i < chunk.length; i += 8) {
                    long v = random.nextLong();
                    for (int b = 0; b < 8; b++) {
                        chunk[i + b] = (byte) (v >>> (8 * b));
                    }
                }
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                md5.update(chunk, 0, n);
            }
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static double localCopy(Path from, Path to) throws IOException {
        long t0 = System.nanoTime();
        try (FileChannel in = FileChannel.open(from);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (in.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                buf.clear();
            }
            out.force(true);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        Files.delete(to);
        return s;
    }

    /**
     * The SDK's multipart upload of {@code file}: its seconds, of them those of its CompleteMultipartUpload request
     * (sent until answered), and this process's CPU seconds meanwhile by thread (the emulated S3's included).
     */
    private record Direct(double seconds, double completeSeconds, Map<String, Double> cpuByThread) {
        /** Seconds until the CompleteMultipartUpload request was sent: the parts' upload. */
        double beforeCompletion() {
            return seconds - completeSeconds;
        }
    }

    /**
     * The SDK's multipart upload of {@code file} as {@code direct/checkpoint-ROUND.bin}, after one of {@code warm}
     * (if any) by the same client; the object's MD5 is checked after.
     */
    private static Direct directUpload(S3Emulator s3, @Nullable Path warm, Path file, int round, String md5)
            throws Exception {
        CompletionTimer completion = new CompletionTimer();
        String key = "direct/checkpoint-" + round + ".bin";
        Direct d;
        try (S3AsyncClient client = S3AsyncClient.builder()
                .endpointOverride(s3.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials())
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(32))
                .overrideConfiguration(o -> o.addExecutionInterceptor(completion))
                .multipartEnabled(true)
                .build()) {
            if (warm != null) {
                client.putObject(b -> b.bucket(s3.bucket()).key("warmup/direct-" + round + ".bin"),
                        AsyncRequestBody.fromFile(warm)).join();
            }
            completion.nanos.set(0);
            ThreadCpu cpu0 = ThreadCpu.of(ProcessHandle.current().pid());
            long t0 = System.nanoTime();
            client.putObject(b -> b.bucket(s3.bucket()).key(key), AsyncRequestBody.fromFile(file)).join();
            double seconds = (System.nanoTime() - t0) / 1e9;
            d = new Direct(seconds, completion.nanos.get() / 1e9,
                    ThreadCpu.of(ProcessHandle.current().pid()).since(cpu0));
        }
        check(s3, key, md5);
        return d;
    }

    /**
     * Adds up how long the client's CompleteMultipartUpload requests took, from sent until their answer was read.
     * Not until the answer's headers: S3Proxy answers an unconditional completion at once with its status and
     * whitespace, and sends the result once its store has written the object.
     */
    private static final class CompletionTimer implements ExecutionInterceptor {
        private static final ExecutionAttribute<Long> SENT = new ExecutionAttribute<>("complete-sent");
        final AtomicLong nanos = new AtomicLong();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            if (context.request() instanceof CompleteMultipartUploadRequest) {
                attributes.putAttribute(SENT, System.nanoTime());
            }
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            Long sent = attributes.getAttribute(SENT);
            if (sent != null) {
                nanos.addAndGet(System.nanoTime() - sent);
            }
        }
    }

    /**
     * The gateway's figures for {@code file}, written as {@code ckpt/checkpoint-ROUND.bin} through daemon {@code d}
     * after {@code warm} (if any) was written and became visible; the object's MD5 is checked after.
     */
    private Gateway throughGateway(S3Emulator s3, PrefetchdContender.Daemon d, @Nullable Path warm, Path file,
                                   int round, String md5) throws Exception {
        String key = "ckpt/checkpoint-" + round + ".bin";
        if (warm != null) {
            String warmKey = "warmup/gateway-" + round + ".bin";
            writeOverNfs(warm, warmKey, d.nfsPort(), rename);
            awaitVisible(s3, warmKey, System.nanoTime());
            if (idle) {
                awaitNothingStaged(d.httpPort());
            }
        }
        Map<String, Double> m0 = metrics(d.httpPort());
        double daemonCpu0 = cpuSeconds(d.process().toHandle());
        double harnessCpu0 = cpuSeconds(ProcessHandle.current());
        ThreadCpu daemonThreads0 = ThreadCpu.of(d.process().pid());
        ThreadCpu harnessThreads0 = ThreadCpu.of(ProcessHandle.current().pid());
        long t0 = System.nanoTime();
        writeOverNfs(file, key, d.nfsPort(), rename);
        long t1 = System.nanoTime();
        double daemonCpu = cpuSeconds(d.process().toHandle()) - daemonCpu0;
        double harnessCpu = cpuSeconds(ProcessHandle.current()) - harnessCpu0;
        awaitVisible(s3, key, t1);
        long t2 = System.nanoTime();
        if (rename) {
            awaitGone(s3, key + ".tmp", t2);
        }
        Map<String, Double> daemonThreads = ThreadCpu.of(d.process().pid()).since(daemonThreads0);
        Map<String, Double> harnessThreads = ThreadCpu.of(ProcessHandle.current().pid()).since(harnessThreads0);
        // S3Proxy shows the object before it answers the completion: the gateway's timer has it once nothing is
        // staged any more
        awaitNothingStaged(d.httpPort());
        Map<String, Double> m = metrics(d.httpPort());
        String parts = "prefetchd_upload_streamed_parts_total";
        Gateway g = new Gateway((t1 - t0) / 1e9,
                grew(m0, m, "prefetchd_nfs_op_latency_seconds_sum", "op=\"COMMIT\""), (t2 - t1) / 1e9,
                grew(m0, m, "prefetchd_s3_latency_seconds_sum", "op=\"complete_multipart\""),
                (long) grew(m0, m, parts, "when=\"while_writing\""),
                (long) grew(m0, m, parts, "when=\"at_upload\""),
                daemonCpu, harnessCpu, daemonThreads, harnessThreads);
        check(s3, key, md5);
        return g;
    }

    /** A read-write daemon over {@code s3}, its state in {@code work}. */
    private PrefetchdContender.Daemon startDaemon(S3Emulator s3, Path work) throws Exception {
        PrefetchdContender.DaemonLauncher launcher = new PrefetchdContender.DaemonLauncher(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                System.getProperty("java.class.path"), daemonHeap, null, daemonJavaOptions);
        List<String> args = List.of("serve", "--read-write", "--s3-endpoint", s3.endpoint().toString(),
                "--bucket", s3.bucket(), "--path-style", "--region", "us-east-1",
                "--state-dir", work.resolve("state").toString(), "--nfs-port", "0", "--http-port", "0",
                "--grpc-port", "0", "--bind", "127.0.0.1");
        return PrefetchdContender.Daemon.start(launcher, args, work, false);
    }

    /**
     * Writes {@code file} to {@code key} the way the kernel client writes a large file: {@value #NFS_WRITE}-byte
     * UNSTABLE WRITEs, {@value #NFS_IN_FLIGHT} in flight on one session, then COMMIT and CLOSE; when
     * {@code renamed}, to {@code key.tmp}, renamed to {@code key} after the close.
     */
    private static void writeOverNfs(Path file, String key, int port, boolean renamed) throws Exception {
        try (Nfs4Client client = Nfs4Client.connect("127.0.0.1", port, "write-bench", NFS_IN_FLIGHT);
             FileChannel in = FileChannel.open(file)) {
            int slash = key.lastIndexOf('/');
            if (slash > 0) {
                client.call(b -> b.putrootfh().create(io.prefetchd.gateway.nfs.xdr.Nfs4.NF4DIR,
                        key.substring(0, slash), new io.prefetchd.gateway.nfs.client.CompoundBuilder.Sattr()));
            }
            Nfs4Client.OpenFile f = client.create("/" + key + (renamed ? ".tmp" : ""));
            long size = in.size();
            ExecutorService writers = Executors.newFixedThreadPool(NFS_IN_FLIGHT);
            // one buffer per writer thread, as a kernel client writes from its page cache: the harness's JVM, which
            // also runs the emulated S3, does not allocate (and collect) the file's size in WRITE payloads
            ThreadLocal<byte[]> whole = ThreadLocal.withInitial(() -> new byte[NFS_WRITE]);
            try {
                List<Future<?>> pending = new ArrayList<>();
                for (long at = 0; at < size; at += NFS_WRITE) {
                    long offset = at;
                    pending.add(writers.submit(() -> {
                        int length = (int) Math.min(NFS_WRITE, size - offset);
                        ByteBuffer buf = ByteBuffer.wrap(length == NFS_WRITE ? whole.get() : new byte[length]);
                        while (buf.hasRemaining()) {
                            if (in.read(buf, offset + buf.position()) < 0) {
                                throw new IOException("short read of " + file);
                            }
                        }
                        client.write(f, offset, io.prefetchd.gateway.nfs.xdr.Nfs4.UNSTABLE4, buf.array());
                        return null;
                    }));
                }
                for (Future<?> p : pending) {
                    p.get();
                }
            } finally {
                writers.shutdownNow();
            }
            client.commit(f);
            client.closeFile(f);
            if (renamed) {
                String name = key.substring(slash + 1);
                Nfs4Client.expectOk(client.call(b -> {
                    b.putrootfh();
                    if (slash > 0) {
                        for (String part : key.substring(0, slash).split("/")) {
                            b.lookup(part);
                        }
                    }
                    return b.savefh().rename(name + ".tmp", name);
                }));
            }
        }
    }

    /** Polls (every 20 ms, up to 30 minutes from {@code since}) until {@code key} is visible in S3. */
    private static void awaitVisible(S3Emulator s3, String key, long since) throws IOException, InterruptedException {
        try (S3Client client = syncClient(s3)) {
            while (!exists(client, s3.bucket(), key)) {
                if (System.nanoTime() - since > TimeUnit.MINUTES.toNanos(30)) {
                    throw new IOException(key + " did not appear in S3 within 30 min");
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * How much the series of {@code name} whose labels include {@code label} (e.g. {@code op="put"}) grew from
     * {@code before} to {@code after}, summed over them.
     */
    private static double grew(Map<String, Double> before, Map<String, Double> after, String name, String label) {
        return sum(after, name, label) - sum(before, name, label);
    }

    private static double sum(Map<String, Double> metrics, String name, String label) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().startsWith(name + "{") && e.getKey().contains(label))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    /** Polls the gateway's metrics (every 50 ms, up to 5 minutes) until no file is staged any more. */
    private static void awaitNothingStaged(int httpPort) throws IOException, InterruptedException {
        long since = System.nanoTime();
        while (metrics(httpPort).getOrDefault("prefetchd_uploads_pending", 1.0) > 0) {
            if (System.nanoTime() - since > TimeUnit.MINUTES.toNanos(5)) {
                throw new IOException("the gateway still had files staged 5 min after the warm-up file was visible");
            }
            Thread.sleep(50);
        }
    }

    /** Polls (every 20 ms, up to 5 minutes from {@code since}) until {@code key} is gone from S3. */
    private static void awaitGone(S3Emulator s3, String key, long since) throws IOException, InterruptedException {
        try (S3Client client = syncClient(s3)) {
            while (exists(client, s3.bucket(), key)) {
                if (System.nanoTime() - since > TimeUnit.MINUTES.toNanos(5)) {
                    throw new IOException(key + " was still in S3 5 min after its file was renamed");
                }
                Thread.sleep(20);
            }
        }
    }

    private static boolean exists(S3Client client, String bucket, String key) {
        try {
            client.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private static void check(S3Emulator s3, String key, String md5) throws Exception {
        try (S3Client client = syncClient(s3);
             InputStream in = client.getObject(b -> b.bucket(s3.bucket()).key(key), ResponseTransformer.toInputStream());
             DigestInputStream d = new DigestInputStream(in, MessageDigest.getInstance("MD5"))) {
            d.transferTo(OutputStream.nullOutputStream());
            String got = HexFormat.of().formatHex(d.getMessageDigest().digest());
            if (!got.equals(md5)) {
                throw new IOException(key + " in S3 has md5 " + got + ", the file " + md5);
            }
        }
    }

    private static S3Client syncClient(S3Emulator s3) {
        return S3Client.builder().endpointOverride(s3.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials()).build();
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Emulator.ACCESS_KEY, S3Emulator.SECRET_KEY));
    }

}

package io.prefetchd.benchmarks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.embedded.EmbeddedS3;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Question: once a dataset is in the extent cache, how close does reading it through the NFS server come to
 * reading the same bytes straight from the cache folder on local disk?
 *
 * <p>Setup: an embedded S3 with {@code files} objects of {@code fileMiB} MiB; the gateway on loopback with a
 * cache large enough for all of them; every file read once through NFS to fill the cache. Then, in the same
 * run, {@code threads} readers (each with its own NFS connection, 1 MiB READs, as the Linux client's rsize)
 * read every file {@code rounds} times, against the baseline: {@code threads} readers reading every block file of
 * the cache folder with 1 MiB positional reads. Both are served from the OS page cache once warm, so the ratio
 * is the cost of the NFS server and protocol, not of the disk. The figure is the ratio, never an absolute.
 *
 * <p>Two clients are measured against their own baseline: prefetchd's Java NFSv4.1 client (in this JVM,
 * so it competes with the server for the same cores; baseline: Java positional reads of the block files), and
 * libnfs' {@code nfs-cat} (Debian libnfs-utils, NFSv4.0, one process per file, {@code threads} at a time; baseline:
 * {@code cat} of the same block files, {@code threads} processes), both writing to /dev/null.
 *
 * <p>Rerun: {@code benchmarks/run-cached-read [files] [fileMiB] [threads] [rounds]}
 * (defaults 16 16 4 3), or
 * {@code java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" io.prefetchd.benchmarks.CachedReadThroughput}.
 */
public final class CachedReadThroughput {
    private static final int CHUNK = 1 << 20;

    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int fileMiB = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path work = Files.createTempDirectory("prefetchd-bench");
        System.out.printf(Locale.ROOT, "cached-read throughput: %d files x %d MiB, %d threads, %d rounds; work %s%n",
                files, fileMiB, threads, rounds, work);
        try (EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"), "bench", 0)) {
            List<String> keys = new ArrayList<>();
            try (S3AsyncClient client = s3.newAsyncClient()) {
                for (int i = 0; i < files; i++) {
                    byte[] data = new byte[fileMiB << 20];
                    new Random(i).nextBytes(data);
                    String key = String.format("data/f%03d.bin", i);
                    client.putObject(b -> b.bucket("bench").key(key), AsyncRequestBody.fromBytes(data)).join();
                    keys.add(key);
                }
            }
            GatewayConfig c = new GatewayConfig();
            c.setStateDir(work.resolve("state").toString());
            c.getS3().setEndpoint(s3.endpoint().toString());
            c.getS3().setBucket("bench");
            c.getS3().setPathStyle(true);
            c.getS3().setAccessKey(s3.accessKey());
            c.getS3().setSecretKey(s3.secretKey());
            c.getCache().setSize(((long) files * fileMiB * 2 + 64) + "MiB");
            c.getNfs().setBind("127.0.0.1");
            c.getNfs().setPort(0);
            c.getNfs().setWorkers(Math.max(8, threads * 2));
            try (Gateway gw = Gateway.start(c, new SimpleMeterRegistry(), Clock.systemUTC())) {
                long total = (long) files * fileMiB << 20;
                double warm = nfsPass(gw.nfsPort(), keys, threads);
                System.out.printf(Locale.ROOT, "warm-up (S3 -> cache): %.1f MiB/s%n", total / warm / (1 << 20));
                Path cacheDir = work.resolve("state").resolve("cache");
                List<Path> blocks;
                try (Stream<Path> s = Files.walk(cacheDir)) {
                    blocks = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".lock"))
                            .sorted(Comparator.naturalOrder()).toList();
                }
                localPass(blocks, threads);   // warm the page cache for the baseline too
                double local = 0;
                double nfs = 0;
                long localBytes = 0;
                long serverCpu = 0;
                long nfsProcessCpu = 0;
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    localBytes = localPass(blocks, threads);
                    local += (System.nanoTime() - t0) / 1e9;
                    long server0 = serverCpuNanos();
                    long process0 = processCpuNanos();
                    nfs += nfsPass(gw.nfsPort(), keys, threads);
                    serverCpu += serverCpuNanos() - server0;
                    nfsProcessCpu += processCpuNanos() - process0;
                }
                double localMibs = (double) localBytes * rounds / local / (1 << 20);
                double nfsMibs = (double) total * rounds / nfs / (1 << 20);
                System.out.printf(Locale.ROOT, "local cache folder (%d block files): %8.1f MiB/s%n", blocks.size(),
                        localMibs);
                System.out.printf(Locale.ROOT, "through NFS (prefetchd client, %d conns): %8.1f MiB/s%n", threads,
                        nfsMibs);
                System.out.printf(Locale.ROOT, "ratio NFS / local: %.2f%n", nfsMibs / localMibs);
                double mibRead = (double) total * rounds / (1 << 20);
                System.out.printf(Locale.ROOT, "CPU per MiB read through NFS: NFS server threads %.3f ms, whole "
                        + "process (client included) %.3f ms%n", serverCpu / 1e6 / mibRead, nfsProcessCpu / 1e6 / mibRead);
                if (onPath("nfs-cat")) {
                    double catSecs = 0;
                    double nfsCatSecs = 0;
                    for (int r = 0; r < rounds; r++) {
                        catSecs += processPass(catCommands(blocks, threads), threads);
                        nfsCatSecs += processPass(nfsCatCommands(gw.nfsPort(), keys), threads);
                    }
                    double catMibs = (double) localBytes * rounds / catSecs / (1 << 20);
                    double nfsCatMibs = (double) total * rounds / nfsCatSecs / (1 << 20);
                    System.out.printf(Locale.ROOT, "cat of the block files (%d processes): %8.1f MiB/s%n", threads,
                            catMibs);
                    System.out.printf(Locale.ROOT, "nfs-cat through NFSv4.0 (%d at a time):  %8.1f MiB/s%n", threads,
                            nfsCatMibs);
                    System.out.printf(Locale.ROOT, "ratio nfs-cat / cat: %.2f%n", nfsCatMibs / catMibs);
                } else {
                    System.out.println("nfs-cat not found (apt-get install libnfs-utils): libnfs comparison skipped");
                }
            }
        } finally {
            deleteTree(work);
        }
    }

    /** Reads every file once through NFS, spread over threads, each on its own connection; returns seconds. */
    private static double nfsPass(int port, List<String> keys, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Nfs4Client> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            clients.add(Nfs4Client.connect("127.0.0.1", port));
        }
        try {
            long t0 = System.nanoTime();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Nfs4Client client = clients.get(t);
                int first = t;
                work.add(pool.submit(() -> {
                    for (int i = first; i < keys.size(); i += threads) {
                        Nfs4Client.OpenFile f = client.open("/" + keys.get(i));
                        long off = 0;
                        while (off < f.size()) {
                            off += client.read(f, off, CHUNK).data().length;
                        }
                        client.closeFile(f);
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdown();
            clients.forEach(Nfs4Client::close);
        }
    }

    /**
     * CPU time of the gateway's NFS threads (the transport's selectors {@code prefetchd-nfs(n)} and the COMPOUND
     * workers {@code prefetchd-nfs-worker-n}, which also read the cache's block files): what the server costs,
     * whatever else shares the cores.
     */
    private static long serverCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("prefetchd-nfs")) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    private static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static List<List<String>> catCommands(List<Path> blocks, int processes) {
        List<List<String>> cmds = new ArrayList<>();
        for (int t = 0; t < processes; t++) {
            List<String> cmd = new ArrayList<>(List.of("cat"));
            for (int i = t; i < blocks.size(); i += processes) {
                cmd.add(blocks.get(i).toString());
            }
            cmds.add(cmd);
        }
        return cmds;
    }

    private static List<List<String>> nfsCatCommands(int port, List<String> keys) {
        List<List<String>> cmds = new ArrayList<>();
        for (String key : keys) {
            cmds.add(List.of("nfs-cat", "nfs://127.0.0.1//" + key + "?version=4&nfsport=" + port));
        }
        return cmds;
    }

    /** Runs the commands, {@code parallel} at a time, output to /dev/null; returns seconds. */
    private static double processPass(List<List<String>> commands, int parallel) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> work = new ArrayList<>();
            for (List<String> cmd : commands) {
                work.add(pool.submit(() -> {
                    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                    if (p.waitFor() != 0) {
                        throw new IllegalStateException(cmd.get(0) + " failed with " + p.exitValue());
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    /** Reads every block file with 1 MiB positional reads over threads; returns the bytes read. */
    private static long localPass(List<Path> blocks, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong bytes = new AtomicLong();
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                work.add(pool.submit(() -> {
                    ByteBuffer buf = ByteBuffer.allocate(CHUNK);
                    for (int i = first; i < blocks.size(); i += threads) {
                        try (FileChannel ch = FileChannel.open(blocks.get(i), StandardOpenOption.READ)) {
                            long pos = 0;
                            int n;
                            while ((n = ch.read(buf.clear(), pos)) > 0) {
                                pos += n;
                                byte[] copy = new byte[n];   // the server hands out a copy too
                                buf.flip().get(copy);
                            }
                            bytes.addAndGet(pos);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            return bytes.get();
        } finally {
            pool.shutdown();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}

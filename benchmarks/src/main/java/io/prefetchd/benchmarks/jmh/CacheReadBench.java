package io.prefetchd.benchmarks.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.cache.CacheStats;
import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Question: what does a read served by the extent cache cost (index look-up, block file reads, checksum check,
 * assembly of the reader's bytes) for a 4 KiB, a 128 KiB and a 1 MiB read once everything is cached, and how
 * much is that over reading the same number of bytes from a plain file in the same folder
 * ({@link #fileReadBaseline})?
 *
 * <p>Rerun: {@code benchmarks/run-jmh CacheReadBench -f 1 -wi 3 -i 5} (other grain: {@code -p grain=16384}).
 * Read {@link #cachedRead} against {@link #fileReadBaseline} of the same run and size, as a ratio. Both are served
 * from the OS page cache once warm, so the ratio is the cache's own work, not the disk's.
 *
 * <p>Setup: a 64 MiB object in an {@link InMemoryObjectStore}, a {@link DiskExtentCache} of 256 MiB in a temporary
 * folder, the whole object prefetched (and awaited) before measuring, so every read is a hit; a teardown fails the
 * run if any measured read missed. Reads start at 1,024 seeded random offsets (not block-aligned, like samples in a
 * tar shard), taken in turn. Only the public {@link ExtentCache} interface is used, so the benchmark keeps working
 * when the block layout changes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CacheReadBench {
    static final int OBJECT_BYTES = 64 << 20;
    static final long CAPACITY_BYTES = 256L << 20;
    static final int OFFSETS = 1024;

    @Param({"4096", "131072", "1048576"})
    public int readBytes;

    /** The cache's grain (the daemon's default; the harness's README recommends 16384 for ~100 KB samples). */
    @Param({"131072"})
    public int grain;

    Path dir;
    InMemoryObjectStore store;
    ExtentCache cache;
    ObjectVersion object;
    byte[] objectBytes;
    FileChannel plainFile;
    long[] offsets;
    int next;
    private long missesBefore;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("prefetchd-jmh-cache");
        SplittableRandom random = new SplittableRandom(42);
        objectBytes = new byte[OBJECT_BYTES];
        for (int i = 0; i < OBJECT_BYTES; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8; j++) {
                objectBytes[i + j] = (byte) (v >>> (8 * j));
            }
        }
        store = new InMemoryObjectStore("jmh");
        String key = "train/shard-000000.tar";
        String etag = store.put(key, objectBytes);
        object = new ObjectVersion(key, etag, OBJECT_BYTES);
        cache = DiskExtentCache.open(dir.resolve("cache"), CAPACITY_BYTES, grain, store, new SimpleMeterRegistry(),
                Clock.systemUTC());
        cache.prefetch(object, 0, OBJECT_BYTES, false).join();
        Path plain = dir.resolve("plain.bin");
        Files.write(plain, objectBytes);
        plainFile = FileChannel.open(plain, StandardOpenOption.READ);
        offsets = new long[OFFSETS];
        for (int i = 0; i < OFFSETS; i++) {
            offsets[i] = random.nextLong(OBJECT_BYTES - readBytes + 1);
        }
        for (int i = 0; i < OFFSETS; i++) {   // every block read once from disk before measuring
            cachedRead();
        }
    }

    @Setup(Level.Iteration)
    public void countMisses() {
        missesBefore = cache.stats().misses();
    }

    @TearDown(Level.Iteration)
    public void checkNoMisses() {
        CacheStats s = cache.stats();
        if (s.misses() != missesBefore) {
            throw new IllegalStateException("measured reads missed the cache: " + (s.misses() - missesBefore)
                    + " blocks fetched; the figures include object-store GETs");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        plainFile.close();
        cache.close();
        store.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    long nextOffset() {
        long o = offsets[next];
        next = (next + 1) % OFFSETS;
        return o;
    }

    /** A cached read through the public interface: look-up, block files, CRC check, copy out. */
    @Benchmark
    public ExtentCache.CachedRead cachedRead() {
        return cache.readTracked(object, nextOffset(), readBytes);
    }

    /** Baseline: the same number of bytes from one plain file with a positional read into a new array. */
    @Benchmark
    public byte[] fileReadBaseline() {
        byte[] out = new byte[readBytes];
        ByteBuffer b = ByteBuffer.wrap(out);
        long at = nextOffset();
        try {
            while (b.hasRemaining()) {
                int n = plainFile.read(b, at + b.position());
                if (n < 0) {
                    throw new IllegalStateException("short file");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}

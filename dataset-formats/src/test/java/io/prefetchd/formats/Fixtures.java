package io.prefetchd.formats;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Shared test helpers: deterministic content, a direct executor, member listings of tar bytes. */
final class Fixtures {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2024-01-01T00:00:00Z"), ZoneOffset.UTC);

    private Fixtures() {
    }

    static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static DatasetIndexer indexer(RangeSource source) {
        return DatasetIndexer.create(source, Runnable::run, 1, CLOCK);
    }

    /** An indexer scanning on a small pool; the caller shuts the pool down. */
    static DatasetIndexer parallelIndexer(RangeSource source, ExecutorService pool, int parallelism) {
        return DatasetIndexer.create(source, pool, parallelism, CLOCK);
    }

    static ExecutorService pool(int n) {
        return Executors.newFixedThreadPool(n);
    }

    /** One member as {@link TarScanner} sees it, with its data. */
    record Member(String name, char type, long start, long dataStart, long size, byte[] data) {
    }

    /** Every entry of a tar image, with its data read from the image. */
    static List<Member> members(String name, byte[] tar) throws IOException {
        List<Member> out = new ArrayList<>();
        new TarScanner(name, tar.length, new ByteArrayInputStream(tar)).scan((n, type, start, dataStart, size) ->
                out.add(new Member(n, type, start, dataStart, size,
                        java.util.Arrays.copyOfRange(tar, (int) dataStart, (int) (dataStart + size)))));
        return out;
    }

    /** Regular-file members of a tar image by name, in order. */
    static Map<String, byte[]> contents(String name, byte[] tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Member m : members(name, tar)) {
            if (m.type() == '0' || m.type() == '\0') {
                out.put(m.name(), m.data());
            }
        }
        return out;
    }

    static void write(Path file, byte[] b) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, b);
    }

    /** The bytes of an extent, read back through the source. */
    static byte[] read(RangeSource source, DatasetIndex index, Extent e) throws IOException {
        for (ObjectRef o : index.objects()) {
            if (o.key().equals(e.object())) {
                return source.read(o, e.offset(), Math.toIntExact(e.length()));
            }
        }
        throw new AssertionError("extent names an object outside the index: " + e);
    }
}

package io.prefetchd.benchmarks.harness;

import static java.util.Objects.requireNonNull;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.IndexBuild;
import io.prefetchd.formats.RangeSource;
import io.prefetchd.formats.TarWriter;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A generated dataset: its files in a local folder (the all-local contender reads them; they are also what is
 * uploaded), and the sample table every reader uses, taken from dataset-formats' own index of that folder so that
 * sample {@code i} here is sample {@code i} for the gateway and its hint API.
 *
 * <p>Content is a pure function of the seed: sample sizes uniform in {@code [0.75, 1.25] x sampleSize}, bytes from
 * a {@link SplittableRandom} per sample (incompressible, like JPEG). WebDataset: tar shards
 * {@code webdataset/shard-NNNNNN.tar} of {@code key.jpg} + {@code key.cls} members, about {@link #shardBytes} each.
 * Files: {@code files/cNNN/sNNNNNNNN.jpg} in 100 class folders (sorted order and ImageFolder order coincide).
 *
 * @param layout "webdataset" or "files"
 * @param folder the dataset's folder name, in the local root and in the bucket (the layout name, unless given)
 * @param samples the sample table, in index order
 * @param totalBytes bytes of all objects of the dataset (D)
 * @param sampleBytes bytes of all samples (what one epoch reads)
 */
public record Dataset(String layout, Path localRoot, String folder, List<Sample> samples, long totalBytes,
                      long sampleBytes, int objects) {
    /** Modification time of every shard member, fixed so that shards are reproducible. */
    private static final long SHARD_MTIME = 1_700_000_000L;

    /** Sample {@code index}: {@code length} bytes at {@code offset} of object {@code key}, with their CRC32C. */
    public record Sample(int index, String key, long offset, int length, int crc) {
    }

    /** Shard size for a dataset of {@code total} bytes: an eighth of it, between 1 MiB and 256 MiB. */
    static long shardBytes(long total) {
        return Math.max(1L << 20, Math.min(256L << 20, total / 8));
    }

    /** Writes the dataset below {@code root}, in a folder named after its layout, and indexes it. */
    public static Dataset generate(Path root, String layout, long totalBytes, int sampleSize, long seed)
            throws IOException {
        return generate(root, layout, layout, totalBytes, sampleSize, seed);
    }

    /** Writes the dataset to {@code root/folder} (its key prefix in the bucket too) and indexes it. */
    public static Dataset generate(Path root, String layout, String folder, long totalBytes, int sampleSize, long seed)
            throws IOException {
        Path dir = root.resolve(folder);
        Files.createDirectories(dir);
        SplittableRandom sizes = new SplittableRandom(seed);
        long written = 0;
        int i = 0;
        if (layout.equals("webdataset")) {
            long shardTarget = shardBytes(totalBytes);
            int shard = 0;
            while (written < totalBytes) {
                Path p = dir.resolve(String.format("shard-%06d.tar", shard++));
                try (TarWriter tar = new TarWriter(new BufferedOutputStream(Files.newOutputStream(p), 1 << 20),
                        SHARD_MTIME)) {
                    while (tar.position() < shardTarget && written + tar.position() < totalBytes) {
                        int len = size(sizes, sampleSize);
                        String key = String.format("s%08d", i);
                        tar.addFile(key + ".jpg", content(seed, i, len));
                        tar.addFile(key + ".cls", (Math.floorMod(seed + i * 7919L, 1000) + "\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        i++;
                    }
                    tar.finish();
                    written += tar.position();
                }
            }
        } else if (layout.equals("files")) {
            while (written < totalBytes) {
                int len = size(sizes, sampleSize);
                Path p = dir.resolve(String.format("c%03d/s%08d.jpg", i % 100, i));
                Files.createDirectories(p.getParent());
                try (OutputStream o = Files.newOutputStream(p)) {
                    o.write(content(seed, i, len));
                }
                written += len;
                i++;
            }
        } else {
            throw new IllegalArgumentException("layout must be webdataset or files, not " + layout);
        }
        return index(root, layout, folder);
    }

    /** Indexes {@code root/folder} with dataset-formats and reads back every sample's CRC. */
    static Dataset index(Path root, String layout, String folder) throws IOException {
        DatasetSpec spec = layout.equals("webdataset") ? DatasetSpec.webDataset(folder)
                : DatasetSpec.files(folder, FileLayout.SORTED);
        ExecutorService ex = Executors.newFixedThreadPool(2);
        IndexBuild build;
        try {
            build = DatasetIndexer.create(RangeSource.localFolder(root), ex, 2, Clock.systemUTC()).build(spec);
        } finally {
            ex.shutdown();
        }
        if (!build.complete()) {
            throw new IOException("dataset index incomplete: " + build.failures());
        }
        DatasetIndex idx = build.index();
        List<Sample> samples = new ArrayList<>(Math.toIntExact(idx.sampleCount()));
        long sampleBytes = 0;
        FileChannel ch = null;
        String open = null;
        try {
            for (int s = 0; s < idx.sampleCount(); s++) {
                var ext = idx.extents(s);
                if (ext.size() != 1) {
                    throw new IOException("sample " + s + " has " + ext.size() + " extents; the harness reads one");
                }
                var e = ext.get(0);
                if (!e.object().equals(open)) {
                    if (ch != null) {
                        ch.close();
                    }
                    ch = FileChannel.open(root.resolve(e.object()), StandardOpenOption.READ);
                    open = e.object();
                }
                ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(e.length()));
                while (buf.hasRemaining()) {
                    if (requireNonNull(ch, "opened above").read(buf, e.offset() + buf.position()) < 0) {
                        throw new IOException("short file " + e.object());
                    }
                }
                samples.add(new Sample(s, e.object(), e.offset(), (int) e.length(), crc(buf.array(), buf.limit())));
                sampleBytes += e.length();
            }
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
        return new Dataset(layout, root, folder, List.copyOf(samples), idx.totalBytes(), sampleBytes,
                idx.objects().size());
    }

    /** Uploads every object of the dataset through the S3 API, 8 at a time. */
    public void upload(S3AsyncClient client, String bucket) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(localRoot.resolve(folder))) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        Semaphore inFlight = new Semaphore(8);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (Path f : files) {
            String key = localRoot.relativize(f).toString().replace('\\', '/');
            inFlight.acquireUninterruptibly();
            all.add(client.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromFile(f))
                    .whenComplete((r, e) -> inFlight.release()));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    }

    static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    private static int size(SplittableRandom r, int mean) {
        return Math.max(1, (int) (mean * (0.75 + 0.5 * r.nextDouble())));
    }

    private static byte[] content(long seed, int sample, int len) {
        byte[] b = new byte[len];
        new SplittableRandom(seed * 0x9E3779B97F4A7C15L + sample).nextBytes(b);
        return b;
    }
}

package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same datasets indexed from a local folder and from S3Proxy give the same extents, and the extents read
 * over S3 with ranged GETs hold the samples.
 */
class IndexOverS3IT {
    @TempDir
    static Path local;
    static S3ProxyServer s3;
    static S3RangeSource bucket;
    static ExecutorService pool;

    @BeforeAll
    static void setUp() throws Exception {
        for (int i = 0; i < 3; i++) {
            TarFixture w = new TarFixture();
            for (int s = 0; s < 20; s++) {
                String key = String.format("%d/%04d", i, s);
                w.file(key + ".jpg", Fixtures.bytes(i * 100 + s, 300 + s * 13));
                if (s % 5 == 0) {
                    w.gnuLongName(key + "." + "x".repeat(120), new byte[7]);
                }
                w.file(key + ".cls", new byte[] {(byte) s});
            }
            Fixtures.write(local.resolve(String.format("wds/train-%06d.tar", i)), w.finish());
        }
        ParquetFixtures.write(local.resolve("pq/part-0.parquet"), 0, 1500, 500, 100, true, CompressionCodecName.SNAPPY);
        ParquetFixtures.write(local.resolve("pq/part-1.parquet"), 1500, 700, 500, 100, false,
                CompressionCodecName.UNCOMPRESSED);
        Fixtures.write(local.resolve("img/cat/1.jpg"), Fixtures.bytes(7, 50));
        Fixtures.write(local.resolve("img/dog/2.jpg"), Fixtures.bytes(8, 60));

        Map<String, byte[]> objects = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(local)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                objects.put(local.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        s3 = S3ProxyServer.start();
        bucket = s3.bucket("datasets", objects);
        pool = Fixtures.pool(3);
    }

    @AfterAll
    static void tearDown() throws Exception {
        pool.shutdownNow();
        s3.close();
    }

    private static void assertSameExtents(DatasetIndex a, DatasetIndex b) {
        assertEquals(a.sampleCount(), b.sampleCount());
        for (long i = 0; i < a.sampleCount(); i++) {
            assertEquals(a.key(i), b.key(i));
            assertEquals(a.extents(i), b.extents(i), "sample " + i);
        }
    }

    private static IndexBuild overS3(DatasetSpec spec) throws Exception {
        IndexBuild b = Fixtures.parallelIndexer(bucket, pool, 3).build(spec);
        assertTrue(b.complete(), b.failures().toString());
        return b;
    }

    @Test
    void webDataset_overS3_matchesLocalAndExtentsHoldTheSamples() throws Exception {
        DatasetSpec spec = DatasetSpec.webDataset("wds/train-{000000..000002}.tar");
        DatasetIndex remote = overS3(spec).index();
        assertSameExtents(Fixtures.indexer(RangeSource.localFolder(local)).build(spec).index(), remote);
        assertEquals(60, remote.sampleCount());
        for (long i = 0; i < remote.sampleCount(); i += 7) {
            Map<String, byte[]> files = Fixtures.contents("extent", Fixtures.read(bucket, remote, remote.extents(i).get(0)));
            String key = remote.key(i);
            assertArrayEquals(new byte[] {(byte) (i % 20)}, files.get(key + ".cls"), key);
        }
    }

    @Test
    void parquet_overS3_matchesLocalWithThreeRangedReadsPerPagedFile() throws Exception {
        DatasetSpec spec = DatasetSpec.parquet("pq", List.of());
        IndexBuild b = overS3(spec);
        assertSameExtents(Fixtures.indexer(RangeSource.localFolder(local)).build(spec).index(), b.index());
        assertEquals(3 + 2, b.stats().requests()); // tail, footer, offset indexes; tail, footer
        byte[] file = Files.readAllBytes(local.resolve("pq/part-0.parquet"));
        Group g = ParquetFixtures.readFenced(file, b.index().extents(1234), 1234, ParquetFixtures.SCHEMA, true);
        assertEquals(1234, g.getLong("id", 0));
    }

    @Test
    void files_overS3_matchesLocal() throws Exception {
        DatasetSpec spec = DatasetSpec.files("img", FileLayout.IMAGE_FOLDER);
        assertSameExtents(Fixtures.indexer(RangeSource.localFolder(local)).build(spec).index(), overS3(spec).index());
    }
}

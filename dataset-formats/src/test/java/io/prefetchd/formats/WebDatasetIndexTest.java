package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebDatasetIndexTest {
    @TempDir
    Path tmp;

    /** Writes sample files for {@code samples} keys with 1-3 members each and returns member names in order. */
    private static List<String> sampleFiles(Path dir, int shard, int samples, boolean longNames) throws Exception {
        Random r = new Random(shard);
        List<String> names = new ArrayList<>();
        for (int s = 0; s < samples; s++) {
            String key = (longNames && s % 4 == 1 ? "deep/" + "k".repeat(120) + "/" : "")
                    + String.format("shard%02d_%05d", shard, s);
            String[] exts = s % 3 == 0 ? new String[] {"jpg", "cls", "meta.json"} : s % 3 == 1
                    ? new String[] {"png"} : new String[] {"jpg", "cls"};
            for (String ext : exts) {
                String name = key + "." + ext;
                Fixtures.write(dir.resolve(name), Fixtures.bytes(shard * 100_000L + s * 10L + ext.length(),
                        r.nextInt(2000)));
                names.add(name);
            }
        }
        return names;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "pax", "ustar"})
    void gnuTarShard_membersMatchTheTarListingAndExtractedContent(String format) throws Exception {
        Path src = tmp.resolve("src");
        List<String> names = sampleFiles(src, 1, 30, !format.equals("ustar"));
        Path shard = tmp.resolve("shards/train-000001.tar");
        Files.createDirectories(shard.getParent());
        GnuTar.create(shard, src, format, names);
        List<GnuTar.Listed> listed = GnuTar.list(shard);
        byte[] tar = Files.readAllBytes(shard);
        List<Fixtures.Member> members = Fixtures.members("s", tar);
        Path out = tmp.resolve("out");
        GnuTar.extract(shard, out);

        assertEquals(listed.size(), members.size());
        for (int i = 0; i < members.size(); i++) {
            Fixtures.Member m = members.get(i);
            GnuTar.Listed l = listed.get(i);
            assertEquals(l.name(), m.name());
            assertEquals(l.size(), m.size());
            // GNU tar reports the block of the entry's header chain; it lies between our start and the data
            assertTrue(m.start() <= l.block() * 512 && l.block() * 512 < m.dataStart(),
                    m + " vs block " + l.block());
            assertArrayEquals(Files.readAllBytes(out.resolve(m.name())), m.data(), m.name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "pax"})
    void gnuTarShard_sampleExtentsSpanTheirMembersAndYieldTheirFiles(String format) throws Exception {
        Path src = tmp.resolve("src");
        List<String> names = sampleFiles(src, 2, 25, true);
        Path root = tmp.resolve("ds");
        GnuTar.create(root.resolve("train-000002.tar"), src, format, names);
        RangeSource source = RangeSource.localFolder(root);

        IndexBuild build = Fixtures.indexer(source).build(DatasetSpec.webDataset(""));

        DatasetIndex index = build.index();
        assertTrue(build.complete(), build.failures().toString());
        assertEquals(25, index.sampleCount());
        byte[] tar = Files.readAllBytes(root.resolve("train-000002.tar"));
        List<Fixtures.Member> members = Fixtures.members("s", tar);
        int m = 0;
        for (long s = 0; s < index.sampleCount(); s++) {
            String key = index.key(s);
            List<Extent> extents = index.extents(s);
            assertEquals(1, extents.size());
            Extent e = extents.get(0);
            List<Fixtures.Member> mine = new ArrayList<>();
            while (m < members.size() && members.get(m).name().startsWith(key + ".")) {
                mine.add(members.get(m++));
            }
            assertTrue(!mine.isEmpty(), "no members for " + key);
            assertEquals(mine.get(0).start(), e.offset(), key);
            Fixtures.Member last = mine.get(mine.size() - 1);
            assertEquals(last.dataStart() + last.size(), e.end(), key);
            // the extent alone is a readable tar holding exactly the sample's files
            Map<String, byte[]> got = Fixtures.contents("extent", Fixtures.read(source, index, e));
            assertEquals(mine.size(), got.size(), key);
            for (Fixtures.Member x : mine) {
                assertArrayEquals(Files.readAllBytes(src.resolve(x.name())), got.get(x.name()), x.name());
            }
        }
        assertEquals(members.size(), m);
    }

    @Test
    void javaWrittenShard_groupsByKeyLikeWebDataset() throws Exception {
        byte[] tar = new TarFixture()
                .file("__meta__", new byte[1])                 // top-level meta file: skipped
                .file("a/x.jpg", new byte[1])
                .file("a/x.cls", new byte[1])
                .file("a/x.jpg", new byte[1])                   // repeated extension: a new sample
                .dir("a/y/")
                .file("a/y.tar.gz", new byte[1])                // key a/y, extension tar.gz
                .file("README", new byte[1])                    // no dot: skipped
                .file("a/.hidden.txt", new byte[1])             // basename starts with a dot: skipped
                .gnuLongName("long/" + "z".repeat(150) + ".txt", new byte[2])
                .pax("p", new byte[3], Map.of("path", "p/ü.json"))
                .finish();
        Fixtures.write(tmp.resolve("s.tar"), tar);

        DatasetIndex index = Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.webDataset("s.tar"))
                .index();

        List<String> keys = new ArrayList<>();
        for (long i = 0; i < index.sampleCount(); i++) {
            keys.add(index.key(i));
        }
        assertEquals(List.of("a/x", "a/x", "a/y", "long/" + "z".repeat(150), "p/ü"), keys);
        assertEquals(1024, index.extents(0).get(0).offset()); // after the skipped __meta__
        assertEquals(3072, index.extents(1).get(0).offset());
    }

    @Test
    void oneBadShard_theOthersAreIndexedAndTheBadOneReportedWithItsOffset() throws Exception {
        for (int i = 0; i < 4; i++) {
            TarFixture w = new TarFixture();
            for (int s = 0; s < 5; s++) {
                w.file(String.format("%d_%d.jpg", i, s), Fixtures.bytes(i * 10 + s, 100));
            }
            byte[] tar = w.finish();
            if (i == 2) {
                tar[512 * 4 + 3] ^= 0x20; // damage the third member's header
            }
            Fixtures.write(tmp.resolve(String.format("train-%06d.tar", i)), tar);
        }
        ExecutorService pool = Fixtures.pool(2);
        try {
            IndexBuild build = Fixtures.parallelIndexer(RangeSource.localFolder(tmp), pool, 2)
                    .build(DatasetSpec.webDataset("train-{000000..000004}.tar"));

            assertEquals(15, build.index().sampleCount());
            assertEquals(List.of("train-000000.tar", "train-000001.tar", "train-000003.tar"),
                    build.index().objects().stream().map(ObjectRef::key).toList());
            assertEquals(2, build.failures().size());
            ObjectFailure missing = build.failures().get(0);
            ObjectFailure bad = build.failures().get(1);
            assertEquals("train-000004.tar", missing.object());
            assertEquals("train-000002.tar", bad.object());
            assertEquals(2048, bad.offset());
            assertEquals("train-000002.tar at byte 2048: bad tar header checksum (stored ", bad.message()
                    .substring(0, 63));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shardsUnderAPrefix_areTakenInKeyOrderAndSamplesNumberedAcrossThem() throws Exception {
        for (int i : new int[] {10, 2, 1}) {
            Fixtures.write(tmp.resolve("d/s-" + i + ".tar"), new TarFixture()
                    .file(i + "_a.jpg", new byte[1]).file(i + "_b.jpg", new byte[1]).finish());
        }
        Fixtures.write(tmp.resolve("d/notes.txt"), "x".getBytes(UTF_8));

        DatasetIndex index = Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.webDataset("d"))
                .index();

        assertEquals(List.of("d/s-1.tar", "d/s-10.tar", "d/s-2.tar"),
                index.objects().stream().map(ObjectRef::key).toList());
        assertEquals("10_a", index.key(2));
        assertEquals(new Extent("d/s-10.tar", 0, 513), index.extents(2).get(0));
    }

    @Test
    void stats_countTheHeadersAsMetadataAndTheShardsAsRequested() throws Exception {
        byte[] tar = new TarFixture().file("a.jpg", new byte[600]).file("b.jpg", new byte[10]).finish();
        Fixtures.write(tmp.resolve("x.tar"), tar);

        BuildStats s = Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.webDataset("")).stats();

        assertEquals(512 * 3, s.metadataBytesRead()); // two headers and the end-of-archive block
        assertEquals(tar.length, s.bytesRequested());
        assertEquals(1, s.requests());
    }
}

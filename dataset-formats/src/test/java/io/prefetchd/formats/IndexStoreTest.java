package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexStoreTest {
    @TempDir
    Path tmp;

    private void shards(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            shard(i, 4);
        }
    }

    private void shard(int i, int samples) throws IOException {
        TarFixture w = new TarFixture();
        for (int s = 0; s < samples; s++) {
            w.file(String.format("s%d/%05d.jpg", i, s), Fixtures.bytes(i * 1000 + s, 10 + s));
            w.file(String.format("s%d/%05d.txt", i, s), new byte[3]);
        }
        Path p = tmp.resolve(String.format("data/shard-%03d.tar", i));
        Fixtures.write(p, w.finish());
        // a rewrite within the same clock tick must still change the local ETag
        Files.setLastModifiedTime(p, FileTime.fromMillis(1_700_000_000_000L + i * 1000L + samples));
    }

    private static void assertSameSamples(DatasetIndex a, DatasetIndex b) {
        assertEquals(a.spec(), b.spec());
        assertEquals(a.objects(), b.objects());
        assertEquals(a.sampleCount(), b.sampleCount());
        for (long i = 0; i < a.sampleCount(); i++) {
            assertEquals(a.key(i), b.key(i));
            assertEquals(a.extents(i), b.extents(i));
        }
    }

    @Test
    void writeThenRead_givesTheSameIndex_forEveryFormat() throws Exception {
        shards(3);
        ParquetFixtures.write(tmp.resolve("data/p.parquet"), 0, 500, 200, 50, true, CompressionCodecName.UNCOMPRESSED);
        ParquetFixtures.write(tmp.resolve("data/q.parquet"), 0, 300, 200, 50, false, CompressionCodecName.UNCOMPRESSED);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        for (DatasetSpec spec : List.of(DatasetSpec.webDataset("data"), DatasetSpec.parquet("data", List.of("label")),
                DatasetSpec.files("data", FileLayout.SORTED))) {
            DatasetIndex built = indexer.build(spec).index();
            Path f = tmp.resolve("idx/" + spec.format().cliName());
            IndexStore.write(built, f);
            assertSameSamples(built, IndexStore.read(f));
        }
    }

    @Test
    void removeAbandoned_deletesIdleTempFilesOfUnfinishedSaves_andNothingElse() throws Exception {
        Path state = tmp.resolve("state");
        IndexStore store = IndexStore.inFolder(state);
        DatasetSpec spec = DatasetSpec.webDataset("data");
        shards(2);
        Fixtures.indexer(RangeSource.localFolder(tmp)).loadOrBuild(spec, store);
        String name = store.file(spec).getFileName().toString();
        Instant now = Instant.parse("2026-12-03T12:00:00Z");
        Path oldTmp = write(state.resolve(name + "123.tmp"), 100, now.minus(Duration.ofHours(2)));
        Path oldCol = write(state.resolve(name + ".keys456.col"), 50, now.minus(Duration.ofHours(2)));
        Path busyCol = write(state.resolve(name + ".etags789.col"), 10, now.minus(Duration.ofMinutes(5)));
        Path other = write(state.resolve("notes.tmp"), 10, now.minus(Duration.ofDays(2)));

        long removed = store.removeAbandoned(now, Duration.ofHours(1));

        assertEquals(150, removed);
        assertFalse(Files.exists(oldTmp));
        assertFalse(Files.exists(oldCol));
        assertTrue(Files.exists(busyCol), "written 5 minutes ago: maybe a save still running elsewhere");
        assertTrue(Files.exists(other), "not an index save's");
        assertTrue(store.load(spec).isPresent(), "the index itself stays");
        assertEquals(0, IndexStore.inFolder(tmp.resolve("missing")).removeAbandoned(now, Duration.ofHours(1)));
    }

    private static Path write(Path f, int bytes, Instant modified) throws IOException {
        Files.write(f, new byte[bytes]);
        Files.setLastModifiedTime(f, FileTime.from(modified));
        return f;
    }

    @Test
    void loadOrBuild_secondRun_loadsWithoutReadingAShard() throws Exception {
        shards(3);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        IndexStore store = IndexStore.inFolder(tmp.resolve("state"));
        DatasetSpec spec = DatasetSpec.webDataset("data");

        IndexBuild first = indexer.loadOrBuild(spec, store);
        IndexBuild second = indexer.loadOrBuild(spec, store);

        assertEquals(3, first.stats().objectsScanned());
        assertEquals(0, second.stats().objectsScanned());
        assertEquals(0, second.stats().requests());
        assertEquals(3, second.stats().objectsReused());
        assertTrue(second.notes().contains("loaded the persisted index"), second.notes().toString());
        assertSameSamples(first.index(), second.index());
    }

    @Test
    void loadOrBuild_afterOneShardChanged_rescansOnlyThatShard() throws Exception {
        shards(3);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        IndexStore store = IndexStore.inFolder(tmp.resolve("state"));
        DatasetSpec spec = DatasetSpec.webDataset("data");
        indexer.loadOrBuild(spec, store);

        shard(1, 7); // rewritten with more samples: new size and mtime, so a new ETag
        IndexBuild after = indexer.loadOrBuild(spec, store);

        assertEquals(1, after.stats().objectsScanned());
        assertEquals(2, after.stats().objectsReused());
        assertEquals(4 + 7 + 4, after.index().sampleCount());
        assertSameSamples(indexer.build(spec).index(), after.index());
        assertSameSamples(after.index(), store.load(spec).orElseThrow()); // and saved
    }

    @Test
    void refresh_withARemovedAndAnAddedShard_followsTheListing() throws Exception {
        shards(3);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        DatasetSpec spec = DatasetSpec.webDataset("data");
        DatasetIndex before = indexer.build(spec).index();
        Files.delete(tmp.resolve("data/shard-000.tar"));
        shard(5, 2);

        IndexBuild after = indexer.refresh(spec, Optional.of(before));

        assertEquals(List.of("data/shard-001.tar", "data/shard-002.tar", "data/shard-005.tar"),
                after.index().objects().stream().map(ObjectRef::key).toList());
        assertEquals(1, after.stats().objectsScanned());
        assertSameSamples(indexer.build(spec).index(), after.index());
    }

    @Test
    void refresh_withNothingChanged_returnsThePreviousIndexItself() throws Exception {
        shards(2);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        DatasetIndex before = indexer.build(DatasetSpec.webDataset("data")).index();
        assertSame(before, indexer.refresh(DatasetSpec.webDataset("data"), Optional.of(before)).index());
    }

    @Test
    void corruptFile_isRefusedNamingTheFile_andLoadOrBuildRebuildsIt() throws Exception {
        shards(2);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        IndexStore store = IndexStore.inFolder(tmp.resolve("state"));
        DatasetSpec spec = DatasetSpec.webDataset("data");
        Path file = store.save(indexer.build(spec).index());
        byte[] b = Files.readAllBytes(file);
        b[b.length - 3] ^= 0x10;
        Files.write(file, b);

        IOException e = assertThrows(IOException.class, () -> store.load(spec));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        IndexBuild rebuilt = indexer.loadOrBuild(spec, store);
        assertEquals(2, rebuilt.stats().objectsScanned());
        assertTrue(rebuilt.notes().get(0).startsWith("persisted index unusable, rebuilt it"), rebuilt.notes().toString());
        assertSameSamples(rebuilt.index(), store.load(spec).orElseThrow());
    }

    @Test
    void truncatedFile_isRefused() throws Exception {
        shards(1);
        Path f = tmp.resolve("x.pfidx");
        IndexStore.write(Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.webDataset("data")).index(), f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 10));
        IOException e = assertThrows(IOException.class, () -> IndexStore.read(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void load_ofASpecNeverSaved_isEmpty() throws Exception {
        assertEquals(Optional.empty(), IndexStore.inFolder(tmp).load(DatasetSpec.webDataset("nothing")));
    }
}

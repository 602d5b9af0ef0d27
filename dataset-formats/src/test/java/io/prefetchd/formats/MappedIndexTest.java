package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedIndexTest {
    @TempDir
    Path tmp;

    /** {@code shards} shards of {@code perShard} samples of 1,000 bytes after a 512-byte header each. */
    static DatasetIndex synthetic(int shards, int perShard) {
        List<ObjectRef> objects = new ArrayList<>();
        for (int o = 0; o < shards; o++) {
            objects.add(new ObjectRef(String.format("train/shard-%06d.tar", o), 1024L + perShard * 1512L, "e" + o));
        }
        return new DatasetIndex() {
            @Override
            public DatasetSpec spec() {
                return DatasetSpec.webDataset("train");
            }

            @Override
            public long sampleCount() {
                return (long) shards * perShard;
            }

            @Override
            public String key(long sample) {
                return String.format("s%09d", sample);
            }

            @Override
            public void forEachExtent(long sample, ExtentSink sink) {
                sink.accept((int) (sample / perShard), (sample % perShard) * 1512L, 1512);
            }

            @Override
            public List<ObjectRef> objects() {
                return objects;
            }

            @Override
            public long totalBytes() {
                return objects.stream().mapToLong(ObjectRef::size).sum();
            }

            @Override
            public long estimatedMemoryBytes() {
                return 0;
            }
        };
    }

    private DatasetIndex roundTrip(DatasetIndex index, String name) throws IOException {
        Path f = tmp.resolve(name);
        IndexStore.write(index, f);
        return IndexStore.read(f);
    }

    @Test
    void loaded_isMapped_itsHeapDoesNotGrowWithSamples() throws Exception {
        DatasetIndex small = roundTrip(synthetic(10, 100), "small");
        DatasetIndex large = roundTrip(synthetic(10, 10_000), "large");

        assertEquals(small.estimatedMemoryBytes(), large.estimatedMemoryBytes());
        assertTrue(large.estimatedMemoryBytes() < 1024, "" + large.estimatedMemoryBytes());
        assertEquals(100_000, large.sampleCount());
        assertEquals("s000054321", large.key(54_321));
        assertEquals(List.of(new Extent("train/shard-000005.tar", 4321 * 1512L, 1512)), large.extents(54_321));
    }

    @Test
    void sampleAt_ofALoadedIndex_agreesWithAScanOfItsExtents_forEveryFormat() throws Exception {
        TarFixture w = new TarFixture();
        for (int s = 0; s < 20; s++) {
            w.file(String.format("%05d.jpg", s), Fixtures.bytes(s, 100 + 37 * s));
            w.file(String.format("%05d.cls", s), new byte[3]);
        }
        Fixtures.write(tmp.resolve("data/a.tar"), w.finish());
        ParquetFixtures.write(tmp.resolve("data/p.parquet"), 0, 500, 200, 50, true, CompressionCodecName.UNCOMPRESSED);
        ParquetFixtures.write(tmp.resolve("data/q.parquet"), 0, 300, 200, 50, false, CompressionCodecName.UNCOMPRESSED);
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        Random random = new Random(7);
        for (DatasetSpec spec : List.of(DatasetSpec.webDataset("data"), DatasetSpec.parquet("data", List.of()),
                DatasetSpec.files("data", FileLayout.SORTED))) {
            DatasetIndex loaded = roundTrip(indexer.build(spec).index(), spec.format().cliName());
            for (int o = 0; o < loaded.objects().size(); o++) {
                for (int k = 0; k < 300; k++) {
                    long offset = random.nextLong(loaded.objects().get(o).size());
                    assertEquals(scan(loaded, o, offset), loaded.sampleAt(o, offset),
                            spec.format() + " object " + o + " offset " + offset);
                }
                String key = loaded.objects().get(o).key();
                assertEquals(o, loaded.objectIndex(key));
            }
            assertEquals(-1, loaded.objectIndex("data/none"));
        }
    }

    /** The lowest sample with an extent holding the byte, by looking at every extent. */
    private static long scan(DatasetIndex index, int object, long offset) {
        for (long s = 0; s < index.sampleCount(); s++) {
            for (Extent e : index.extents(s)) {
                if (e.object().equals(index.objects().get(object).key()) && e.offset() <= offset
                        && offset < e.end()) {
                    return s;
                }
            }
        }
        return -1;
    }

    @Test
    void objectIndex_ofUnsortedKeys_findsEveryObject() throws Exception {
        List<ObjectRef> refs = List.of(new ObjectRef("b/2.jpg", 5, "x"), new ObjectRef("a/9.jpg", 5, "y"),
                new ObjectRef("c/1.jpg", 5, "z"), new ObjectRef("a/10.jpg", 5, "w"));
        DatasetIndex heap = new FilesIndex(DatasetSpec.files("", FileLayout.IMAGE_FOLDER), ObjectTable.of(refs));
        DatasetIndex loaded = roundTrip(heap, "files");
        for (int o = 0; o < refs.size(); o++) {
            assertEquals(o, heap.objectIndex(refs.get(o).key()));
            assertEquals(o, loaded.objectIndex(refs.get(o).key()));
        }
        assertEquals(-1, loaded.objectIndex("a/1.jpg"));
    }

    @Test
    void corruptColumnByte_failsTheReadThatTouchesIt_namingTheFile() throws Exception {
        Path f = tmp.resolve("idx");
        IndexStore.write(synthetic(2, 50_000), f);
        byte[] b = Files.readAllBytes(f);
        b[IndexCodec.HEADER + b.length / 2] ^= 0x01; // inside the columns, which are checked when first read
        Files.write(f, b);

        DatasetIndex loaded = IndexStore.read(f);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> {
            for (long s = 0; s < loaded.sampleCount(); s++) {
                loaded.key(s);
                loaded.extents(s);
            }
        });
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void corruptColumn_isRebuiltByLoadOrBuild() throws Exception {
        TarFixture w = new TarFixture();
        for (int s = 0; s < 5; s++) {
            w.file(String.format("%05d.jpg", s), Fixtures.bytes(s, 100));
        }
        Fixtures.write(tmp.resolve("data/a.tar"), w.finish());
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        IndexStore store = IndexStore.inFolder(tmp.resolve("state"));
        DatasetSpec spec = DatasetSpec.webDataset("data");
        Path file = store.save(indexer.build(spec).index());
        byte[] b = Files.readAllBytes(file);
        b[IndexCodec.HEADER + 2] ^= 0x01; // the first object key's length
        Files.write(file, b);

        IndexBuild rebuilt = indexer.loadOrBuild(spec, store);

        assertTrue(rebuilt.notes().get(0).startsWith("persisted index unusable, rebuilt it"), rebuilt.notes().toString());
        assertEquals(1, rebuilt.stats().objectsScanned());
        assertEquals(5, store.load(spec).orElseThrow().sampleCount());
    }

    @Test
    void newerVersion_isRefusedNamingIt() throws Exception {
        Path f = tmp.resolve("idx");
        IndexStore.write(synthetic(1, 3), f);
        byte[] b = Files.readAllBytes(f);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(8, 3);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, IndexCodec.HEADER - 4);
        h.putInt(IndexCodec.HEADER - 4, (int) crc.getValue());
        Files.write(f, b);

        IOException e = assertThrows(IOException.class, () -> IndexStore.read(f));
        assertTrue(e.getMessage().contains("version 3") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void versionOneFile_isRead_andLoadOrBuildRewritesItInTheCurrentVersion() throws Exception {
        TarFixture w = new TarFixture();
        for (int s = 0; s < 4; s++) {
            w.file(String.format("%05d.jpg", s), Fixtures.bytes(s, 100));
        }
        Fixtures.write(tmp.resolve("data/a.tar"), w.finish());
        DatasetIndexer indexer = Fixtures.indexer(RangeSource.localFolder(tmp));
        IndexStore store = IndexStore.inFolder(tmp.resolve("state"));
        DatasetSpec spec = DatasetSpec.webDataset("data");
        DatasetIndex built = indexer.build(spec).index();
        Path file = store.file(spec);
        Files.createDirectories(file.getParent());
        Files.write(file, versionOne((WebDatasetIndex) built));

        DatasetIndex v1 = IndexStore.read(file);
        assertEquals(built.objects(), v1.objects());
        for (long s = 0; s < built.sampleCount(); s++) {
            assertEquals(built.key(s), v1.key(s));
            assertEquals(built.extents(s), v1.extents(s));
        }
        IndexBuild again = indexer.loadOrBuild(spec, store);

        assertEquals(0, again.stats().objectsScanned());
        assertTrue(again.notes().get(1).startsWith("rewrote the persisted index in the current format"),
                again.notes().toString());
        assertEquals(IndexCodec.VERSION, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN)
                .getInt(8));
        assertTrue(IndexCodec.isCurrent(again.index()));
    }

    /** The bytes an earlier build wrote for {@code w}: format version 1. */
    private static byte[] versionOne(WebDatasetIndex w) {
        IndexCodecV1.Out body = new IndexCodecV1.Out();
        body.string(w.spec().location());
        body.i32(0);
        body.buf(1).put((byte) w.spec().layout().ordinal());
        ObjectTable t = ObjectTable.of(w.objects());
        body.strings((StringColumn.Heap) t.keys);
        body.strings((StringColumn.Heap) t.etags);
        body.longs(((LongColumn.Heap) t.sizes).values());
        body.ints(((IntColumn.Heap) w.firstSample).values());
        body.longs(((LongColumn.Heap) w.starts).values());
        body.longs(((LongColumn.Heap) w.ends).values());
        body.strings((StringColumn.Heap) w.keys);
        ByteBuffer b = body.finish();
        ByteBuffer out = ByteBuffer.allocate(32 + b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(IndexCodec.MAGIC).putInt(1).putInt(Format.WEBDATASET.ordinal()).putLong(b.remaining());
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate());
        out.putInt((int) crc.getValue());
        crc.reset();
        crc.update(out.array(), 0, 28);
        out.putInt((int) crc.getValue());
        out.put(b);
        return out.array();
    }
}

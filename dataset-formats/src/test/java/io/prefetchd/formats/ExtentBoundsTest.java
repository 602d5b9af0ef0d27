package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtentBoundsTest {
    @TempDir
    Path tmp;

    private DatasetIndexer indexer() throws Exception {
        TarFixture a = new TarFixture();
        for (int s = 0; s < 12; s++) {
            a.file(String.format("%05d.jpg", s), Fixtures.bytes(s, 100 + 613 * s));
            a.file(String.format("%05d.cls", s), new byte[3]);
        }
        Fixtures.write(tmp.resolve("data/a.tar"), a.finish());
        TarFixture b = new TarFixture();
        b.file("00100.jpg", Fixtures.bytes(100, 5000));
        Fixtures.write(tmp.resolve("data/b.tar"), b.finish());
        Fixtures.write(tmp.resolve("data/c.tar"), new TarFixture().finish()); // a shard with no samples
        Fixtures.write(tmp.resolve("data/empty.jpg"), new byte[0]);
        return Fixtures.indexer(RangeSource.localFolder(tmp));
    }

    @Test
    void webDatasetAndFiles_built_andLoaded_answerAsTheSortedSetOfTheirExtentBounds() throws Exception {
        DatasetIndexer indexer = indexer();
        for (DatasetSpec spec : List.of(DatasetSpec.webDataset("data"), DatasetSpec.files("data", FileLayout.SORTED))) {
            DatasetIndex built = indexer.build(spec).index();
            Path file = tmp.resolve(spec.format().cliName() + ".pfidx");
            IndexStore.write(built, file);
            for (DatasetIndex index : List.of(built, IndexStore.read(file))) {
                ExtentBounds bounds = index.extentBounds();
                assertNotNull(bounds, spec.format().toString());
                for (int o = 0; o < index.objects().size(); o++) {
                    TreeSet<Long> expected = boundsByScan(index, o);
                    long size = index.objects().get(o).size();
                    for (long pos = -1; pos <= size + 1; pos++) {
                        Long floor = expected.floor(pos);
                        Long higher = expected.higher(pos);
                        String where = spec.format() + " object " + o + " pos " + pos;
                        assertEquals(floor == null ? ExtentBounds.NONE_BEFORE : floor, bounds.floor(o, pos), where);
                        assertEquals(higher == null ? ExtentBounds.NONE_AFTER : higher, bounds.higher(o, pos), where);
                    }
                }
            }
        }
    }

    @Test
    void parquet_doesNotAnswer_soCallersCollectTheBoundsThemselves() throws Exception {
        ParquetFixtures.write(tmp.resolve("p/p.parquet"), 0, 300, 200, 50, true, CompressionCodecName.UNCOMPRESSED);
        DatasetIndex index = Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.parquet("p", List.of()))
                .index();

        assertNull(index.extentBounds());
    }

    private static TreeSet<Long> boundsByScan(DatasetIndex index, int object) {
        TreeSet<Long> out = new TreeSet<>();
        for (long s = 0; s < index.sampleCount(); s++) {
            index.forEachExtent(s, (o, offset, length) -> {
                if (o == object) {
                    out.add(offset);
                    out.add(offset + length);
                }
            });
        }
        return out;
    }
}

package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {

    @Test
    void generate_webdataset_indexesOneSamplePerKeyWithItsBytes(@TempDir Path dir) throws Exception {
        Dataset d = Dataset.generate(dir, "webdataset", 4 << 20, 50_000, 7);
        assertTrue(d.samples().size() > 40, "samples: " + d.samples().size());
        Set<String> shards = new HashSet<>();
        for (Dataset.Sample s : d.samples()) {
            shards.add(s.key());
            // a sample spans its .jpg and .cls members: headers + data, so a bit more than the jpg
            assertTrue(s.length() > 50_000 * 0.75, "sample " + s.index() + " length " + s.length());
        }
        assertEquals(d.objects(), shards.size());
        long onDisk = 0;
        for (String k : shards) {
            onDisk += Files.size(dir.resolve(k));
        }
        assertEquals(onDisk, d.totalBytes());
    }

    @Test
    void generate_sameSeed_sameBytes(@TempDir Path a, @TempDir Path b) throws Exception {
        Dataset x = Dataset.generate(a, "files", 1 << 20, 20_000, 3);
        Dataset y = Dataset.generate(b, "files", 1 << 20, 20_000, 3);
        assertEquals(x.samples(), y.samples());
    }

    @Test
    void generate_files_oneWholeFilePerSample(@TempDir Path dir) throws Exception {
        Dataset d = Dataset.generate(dir, "files", 1 << 20, 20_000, 5);
        assertEquals(d.objects(), d.samples().size());
        for (Dataset.Sample s : d.samples()) {
            assertEquals(0, s.offset());
            assertEquals(Files.size(dir.resolve(s.key())), s.length());
        }
    }

    @Test
    void generate_inAFolderOfItsOwn_sharesNoKeyWithTheLayoutsFolder(@TempDir Path dir) throws Exception {
        Dataset main = Dataset.generate(dir, "files", 1 << 20, 20_000, 5);
        Dataset warm = Dataset.generate(dir, "files", "warm-up-files", 1 << 19, 20_000, 6);
        assertEquals("warm-up-files", warm.folder());
        Set<String> keys = new HashSet<>();
        main.samples().forEach(s -> keys.add(s.key()));
        for (Dataset.Sample s : warm.samples()) {
            assertTrue(s.key().startsWith("warm-up-files/"), s.key());
            assertTrue(keys.add(s.key()), "key in both datasets: " + s.key());
            assertEquals(Files.size(dir.resolve(s.key())), s.length());
        }
        assertEquals(main.samples().size(), Dataset.index(dir, "files", "files").samples().size(),
                "the main dataset's index holds none of the warm-up's files");
    }
}

package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesIndexTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void files() throws Exception {
        for (String k : List.of("ds/dog/b.jpg", "ds/dog/a.jpg", "ds/cat/z.jpg", "ds/cat/a/b.jpg", "ds/cat/a-b/c.jpg",
                "ds/cat-x/q.jpg", "ds/README.txt", "ds/.cache/x.jpg", "ds/cat/.DS_Store", "other/x.jpg")) {
            Fixtures.write(tmp.resolve(k), k.getBytes(UTF_8));
        }
    }

    private List<String> keys(DatasetIndex index) {
        List<String> out = new ArrayList<>();
        for (long i = 0; i < index.sampleCount(); i++) {
            out.add(index.key(i));
        }
        return out;
    }

    @Test
    void imageFolder_classesSortedThenFoldersThenNames_rootFilesLeftOut() throws Exception {
        DatasetIndex index = Fixtures.indexer(RangeSource.localFolder(tmp))
                .build(DatasetSpec.files("ds", FileLayout.IMAGE_FOLDER)).index();
        // torchvision: classes [cat, cat-x, dog]; in cat, sorted(os.walk()) visits roots cat < cat/a < cat/a-b
        // (a plain sort of the keys would put cat/a-b/ before cat/a/ and cat/z.jpg last)
        assertEquals(List.of("ds/cat/z.jpg", "ds/cat/a/b.jpg", "ds/cat/a-b/c.jpg", "ds/cat-x/q.jpg",
                "ds/dog/a.jpg", "ds/dog/b.jpg"), keys(index));
    }

    @Test
    void sorted_isTheWholeListingInKeyOrderWithoutHiddenFiles() throws Exception {
        DatasetIndex index = Fixtures.indexer(RangeSource.localFolder(tmp))
                .build(DatasetSpec.files("ds/", FileLayout.SORTED)).index();
        assertEquals(List.of("ds/README.txt", "ds/cat-x/q.jpg", "ds/cat/a-b/c.jpg", "ds/cat/a/b.jpg", "ds/cat/z.jpg",
                "ds/dog/a.jpg", "ds/dog/b.jpg"), keys(index));
    }

    @Test
    void aSampleIsTheWholeObject() throws Exception {
        RangeSource source = RangeSource.localFolder(tmp);
        DatasetIndex index = Fixtures.indexer(source).build(DatasetSpec.files("ds", FileLayout.SORTED)).index();
        Extent e = index.extents(0).get(0);
        assertEquals(new Extent("ds/README.txt", 0, "ds/README.txt".length()), e);
        assertArrayEquals("ds/README.txt".getBytes(UTF_8), Fixtures.read(source, index, e));
        assertEquals(index.totalBytes(), index.objects().stream().mapToLong(ObjectRef::size).sum());
    }

    @Test
    void aFilesBuild_readsNoObject() throws Exception {
        IndexBuild b = Fixtures.indexer(RangeSource.localFolder(tmp)).build(DatasetSpec.files("", FileLayout.SORTED));
        assertEquals(0, b.stats().requests());
        assertEquals(8, b.index().sampleCount());
    }
}

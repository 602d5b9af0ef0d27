package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesIndexWriterTest {
    private static final DatasetSpec SPEC = DatasetSpec.files("train", FileLayout.SORTED);

    @TempDir
    Path tmp;

    /** A listing in S3's order: 60,000 objects (several MiB of columns), an empty file, non-ASCII keys last. */
    private static List<ObjectRef> listing() {
        List<ObjectRef> out = new ArrayList<>();
        for (int i = 0; i < 60_000; i++) {
            out.add(new ObjectRef(String.format("train/%09d.jpg", i), i == 7 ? 0 : 1000 + i % 977,
                    Integer.toHexString(i * 0x9E3779B9) + "-" + (i % 3)));
        }
        out.add(new ObjectRef("train/zebra.jpg", 5, ""));
        out.add(new ObjectRef("train/\u00e9t\u00e9.jpg", 6, "e1"));
        out.add(new ObjectRef("train/\uD83D\uDE00.jpg", 7, "e2"));
        return out;
    }

    private Path streamed(List<ObjectRef> objects) throws IOException {
        try (FilesIndexWriter w = FilesIndexWriter.create(SPEC, tmp.resolve("streamed.pfidx"))) {
            for (ObjectRef o : objects) {
                w.add(o);
            }
            return w.finish();
        }
    }

    private Path built(List<ObjectRef> objects) throws IOException {
        Path file = tmp.resolve("built.pfidx");
        IndexStore.write(new FilesIndex(SPEC, ObjectTable.of(objects)), file);
        return file;
    }

    @Test
    void streamedListing_isByteForByteTheIndexOfTheBuiltTable() throws Exception {
        List<ObjectRef> objects = listing();
        Path streamed = streamed(objects);
        assertEquals(-1, Files.mismatch(streamed, built(objects)));

        DatasetIndex index = IndexStore.read(streamed);
        assertEquals(objects.size(), index.sampleCount());
        assertEquals(objects, index.objects());
        assertEquals(objects.stream().mapToLong(ObjectRef::size).sum(), index.totalBytes());
        for (int i : new int[] {0, 7, 31_337, objects.size() - 1}) {
            assertEquals(i, index.objectIndex(objects.get(i).key()));
        }
        assertEquals(-1, index.objectIndex("train/missing.jpg"));
    }

    @Test
    void emptyListing_isTheIndexOfNoObjects() throws Exception {
        assertEquals(-1, Files.mismatch(streamed(List.of()), built(List.of())));
        assertEquals(0, IndexStore.read(tmp.resolve("streamed.pfidx")).sampleCount());
    }

    @Test
    void keyOutOfOrder_refusedNamingBothKeys_andNothingLeftBehind() throws Exception {
        List<ObjectRef> objects = List.of(new ObjectRef("train/b", 1, "x"), new ObjectRef("train/a", 1, "y"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> streamed(objects));
        assertEquals("listing not in key order: 'train/a' after 'train/b'", e.getMessage());
        assertFolderEmpty();
    }

    @Test
    void keyListedTwice_refused() throws Exception {
        List<ObjectRef> objects = List.of(new ObjectRef("train/a", 1, "x"), new ObjectRef("train/a", 2, "y"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> streamed(objects));
        assertEquals("key 'train/a' is listed twice", e.getMessage());
        assertFolderEmpty();
    }

    @Test
    void finishedWrite_leavesOnlyTheIndex() throws Exception {
        streamed(listing());
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(tmp.resolve("streamed.pfidx")), files.toList());
        }
    }

    @Test
    void anotherFormat_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> FilesIndexWriter.create(
                DatasetSpec.webDataset("train"), tmp.resolve("x.pfidx")));
    }

    private void assertFolderEmpty() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.findAny().isEmpty(), "temporary columns left behind");
        }
    }
}

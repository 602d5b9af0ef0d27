package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DatasetIndexer#loadOrBuild} of a file-per-sample dataset in key order, which refreshes from the paged
 * listing: the source here only pages ({@code list(prefix)} throws), and every index written must be byte for
 * byte the one a build from the held listing writes.
 */
class StreamedFilesRefreshTest {
    private static final DatasetSpec SPEC = DatasetSpec.files("train", FileLayout.SORTED);

    @TempDir
    Path tmp;

    private static List<ObjectRef> listing(int n) {
        List<ObjectRef> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ObjectRef(String.format("train/%05d.jpg", i), 100 + i, "e" + i));
        }
        return out;
    }

    private IndexStore store() {
        return IndexStore.inFolder(tmp.resolve("state"));
    }

    private static IndexBuild loadOrBuild(List<ObjectRef> objects, IndexStore store) throws IOException {
        return Fixtures.indexer(new PagedOnly(objects)).loadOrBuild(SPEC, store);
    }

    /** Asserts that the store's file is the one a build from the held listing of {@code objects} writes. */
    private void assertHeldBuildOf(List<ObjectRef> objects, IndexStore store) throws IOException {
        DatasetIndex held = Fixtures.indexer(new HeldOnly(objects)).build(SPEC).index();
        Path file = tmp.resolve("held.pfidx");
        IndexStore.write(held, file);
        assertEquals(-1, Files.mismatch(file, store.file(SPEC)), "the streamed index differs from the held build");
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    @Test
    void firstBuild_writesTheIndexAHeldBuildWrites_fromThePagedListing() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();

        IndexBuild b = loadOrBuild(objects, store);

        assertHeldBuildOf(objects, store);
        assertEquals(objects, b.index().objects());
        assertTrue(IndexCodec.isCurrent(b.index()), "the index handed back is mapped from its file");
        assertEquals(List.of("no persisted index; built it", "saved " + store.file(SPEC)), b.notes());
        assertEquals(new BuildStats(50, 50, 0, 0, 0, 0, b.stats().elapsed()), b.stats());
    }

    @Test
    void unchangedListing_returnsThePreviousIndex_andWritesNothing() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);
        Object written = fileKey(store.file(SPEC));

        IndexBuild again = loadOrBuild(objects, store);

        assertEquals(written, fileKey(store.file(SPEC)), "the index file was replaced");
        assertEquals(List.of("loaded the persisted index"), again.notes());
        assertEquals(new BuildStats(50, 0, 50, 0, 0, 0, again.stats().elapsed()), again.stats());
        assertEquals(objects, again.index().objects());
    }

    @Test
    void objectChangedInTheMiddle_isWrittenAsAHeldBuild_reusingTheRest() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);
        objects.set(20, new ObjectRef(objects.get(20).key(), 7, "changed"));

        IndexBuild b = loadOrBuild(objects, store);

        assertHeldBuildOf(objects, store);
        assertEquals(objects, b.index().objects());
        assertEquals(List.of("loaded the persisted index", "saved " + store.file(SPEC)), b.notes());
        assertEquals(1, b.stats().objectsScanned());
        assertEquals(49, b.stats().objectsReused());
    }

    @Test
    void lastObjectChanged_isWrittenAsAHeldBuild() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);
        objects.set(49, new ObjectRef(objects.get(49).key(), 100 + 49, "changed"));

        IndexBuild b = loadOrBuild(objects, store);

        assertHeldBuildOf(objects, store);
        assertEquals(1, b.stats().objectsScanned());
    }

    @Test
    void objectAdded_inTheMiddleOrAtTheEnd_isWrittenAsAHeldBuild() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);
        objects.add(21, new ObjectRef("train/00020.jpg.extra", 1, "new"));
        objects.add(new ObjectRef("train/zzz.jpg", 2, "new"));

        IndexBuild b = loadOrBuild(objects, store);

        assertHeldBuildOf(objects, store);
        assertEquals(52, b.index().sampleCount());
        assertEquals(new BuildStats(52, 2, 50, 0, 0, 0, b.stats().elapsed()), b.stats());
    }

    @Test
    void objectRemoved_inTheMiddle_isWrittenAsAHeldBuild() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);
        objects.remove(30);

        IndexBuild b = loadOrBuild(objects, store);

        assertHeldBuildOf(objects, store);
        assertEquals(new BuildStats(49, 0, 49, 0, 0, 0, b.stats().elapsed()), b.stats());
    }

    @Test
    void lastObjectsRemoved_isWrittenAsAHeldBuild() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);

        IndexBuild b = loadOrBuild(objects.subList(0, 45), store);

        assertHeldBuildOf(objects.subList(0, 45), store);
        assertEquals(45, b.index().sampleCount());
        assertEquals(List.of("loaded the persisted index", "saved " + store.file(SPEC)), b.notes());
    }

    @Test
    void hiddenObjectsAndFolderMarkers_areLeftOut_asTheHeldBuildDoes() throws Exception {
        List<ObjectRef> objects = new ArrayList<>(List.of(
                new ObjectRef("train/", 0, "marker"),
                new ObjectRef("train/.DS_Store", 1, "h"),
                new ObjectRef("train/.cache/x.jpg", 1, "h"),
                new ObjectRef("train/a.jpg", 1, "a"),
                new ObjectRef("train/b/.hidden.jpg", 1, "h"),
                new ObjectRef("train/b/c.jpg", 1, "c"),
                new ObjectRef("train/d_e.jpg", 1, "d")));
        IndexStore store = store();

        IndexBuild b = loadOrBuild(objects, store);

        assertHeldBuildOf(objects, store);
        assertEquals(List.of("train/a.jpg", "train/b/c.jpg", "train/d_e.jpg"),
                b.index().objects().stream().map(ObjectRef::key).toList());
        assertEquals(3, b.stats().objectsListed());
        Object written = fileKey(store.file(SPEC));

        objects.add(2, new ObjectRef("train/.cache/y.jpg", 1, "h"));
        loadOrBuild(objects, store);

        assertEquals(written, fileKey(store.file(SPEC)), "a new hidden object changed the index");
    }

    @Test
    void emptyFolder_isAnEmptyIndex_asTheHeldBuildWrites() throws Exception {
        IndexStore store = store();

        IndexBuild b = loadOrBuild(List.of(), store);

        assertHeldBuildOf(List.of(), store);
        assertEquals(0, b.index().sampleCount());
        assertEquals(List.of("loaded the persisted index"), loadOrBuild(List.of(), store).notes());
    }

    @Test
    void listingOutOfKeyOrder_isRefusedByTheStreamedRefresh_namingTheKeys() throws Exception {
        List<ObjectRef> shuffled = listing(10);
        shuffled.add(new ObjectRef("train/00009.jpg.new", 1, "n"));
        shuffled.add(new ObjectRef("train/00001.jpg.new", 1, "n"));
        Path file = tmp.resolve("out.pfidx");

        IOException e = assertThrows(StreamedFilesRefresh.OutOfOrder.class,
                () -> StreamedFilesRefresh.run(new PagedOnly(shuffled), SPEC, Optional.empty(), file));

        assertTrue(e.getMessage().contains("not in key order: 'train/00001.jpg.new' came after "
                + "'train/00009.jpg.new'"), e.getMessage());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "nothing is written, no temporary file is left");
        }
    }

    @Test
    void listingOutOfKeyOrder_fromAStoreThatDoesNotSort_isIndexedFromTheSortedListing() throws Exception {
        List<ObjectRef> objects = listing(10);
        IndexStore store = store();
        loadOrBuild(objects, store);
        List<ObjectRef> shuffled = new ArrayList<>(objects);
        shuffled.add(new ObjectRef("train/00009.jpg.new", 1, "n"));
        shuffled.add(new ObjectRef("train/00001.jpg.new", 1, "n"));

        IndexBuild b = Fixtures.indexer(new HeldOrder(shuffled)).loadOrBuild(SPEC, store);

        assertHeldBuildOf(shuffled, store);
        assertEquals(12, b.index().sampleCount());
        try (Stream<Path> left = Files.list(store.file(SPEC).getParent())) {
            assertEquals(List.of(store.file(SPEC)), left.toList(), "temporary files are left");
        }
    }

    @Test
    void keyListedTwice_isRefused() throws Exception {
        List<ObjectRef> objects = listing(5);
        objects.add(3, objects.get(2));

        IOException e = assertThrows(IOException.class, () -> loadOrBuild(objects, store()));

        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
    }

    @Test
    void corruptPreviousIndex_isRebuiltFromTheListing() throws Exception {
        List<ObjectRef> objects = listing(50);
        IndexStore store = store();
        loadOrBuild(objects, store);
        Path file = store.file(SPEC);
        byte[] b = Files.readAllBytes(file);
        b[IndexCodec.HEADER + 2] ^= 0x01; // the first object key's end
        Files.write(file, b);

        IndexBuild rebuilt = loadOrBuild(objects, store);

        assertTrue(rebuilt.notes().get(0).startsWith("persisted index unusable, rebuilt it"), rebuilt.notes().toString());
        assertEquals(50, rebuilt.stats().objectsScanned());
        assertHeldBuildOf(objects, store);
    }

    private static final DatasetSpec IMAGE_FOLDER = DatasetSpec.files("train", FileLayout.IMAGE_FOLDER);

    /** Class folders of files, as ImageFolder datasets usually are, and a file outside every class. */
    private static List<ObjectRef> classes(int perClass, String changedKey) {
        List<ObjectRef> out = new ArrayList<>();
        out.add(new ObjectRef("train/README.txt", 5, "r"));
        for (String cls : new String[] {"cat", "dog", "n01440764"}) {
            for (int i = 0; i < perClass; i++) {
                String key = "train/" + cls + "/" + String.format("%04d.jpg", i);
                out.add(new ObjectRef(key, 100 + i, key.equals(changedKey) ? "changed" : "e" + i));
            }
        }
        return out;
    }

    /** Asserts that the store's file is the one a build of the held listing writes, for {@code spec}. */
    private void assertHeldBuildOf(List<ObjectRef> objects, IndexStore store, DatasetSpec spec) throws IOException {
        DatasetIndex held = Fixtures.indexer(new HeldOnly(objects)).build(spec).index();
        Path file = tmp.resolve("held.pfidx");
        IndexStore.write(held, file);
        assertEquals(-1, Files.mismatch(file, store.file(spec)), "the streamed index differs from the held build");
    }

    @Test
    void imageFolderOfClassFolders_isStreamed_andWritesWhatAHeldBuildWrites() throws Exception {
        IndexStore store = store();
        List<ObjectRef> objects = classes(20, "");

        IndexBuild first = Fixtures.indexer(new PagedOnly(objects)).loadOrBuild(IMAGE_FOLDER, store);
        List<ObjectRef> changed = classes(20, "train/dog/0007.jpg");
        IndexBuild second = Fixtures.indexer(new PagedOnly(changed)).loadOrBuild(IMAGE_FOLDER, store);

        assertEquals(60, first.index().sampleCount(), "the file outside every class is no sample");
        assertEquals("train/cat/0000.jpg", first.index().key(0));
        assertEquals(new BuildStats(60, 1, 59, 0, 0, 0, second.stats().elapsed()), second.stats());
        assertHeldBuildOf(changed, store, IMAGE_FOLDER);
    }

    @Test
    void imageFolderNotInKeyOrder_isIndexedFromTheHeldListing() throws Exception {
        // "cat/z.jpg" comes before "cat/a/1.jpg" in ImageFolder order (a folder's files before its subfolders);
        // class "a" before "a-b", whose keys S3 lists first ('-' sorts below '/')
        for (List<String> keys : List.of(List.of("train/cat/a/1.jpg", "train/cat/z.jpg"),
                List.of("train/a-b/1.jpg", "train/a/1.jpg"))) {
            List<ObjectRef> objects = keys.stream().map(k -> new ObjectRef(k, 1, "e")).toList();
            IOException e = assertThrows(StreamedFilesRefresh.OutOfOrder.class, () -> StreamedFilesRefresh.run(
                    new PagedOnly(objects), IMAGE_FOLDER, Optional.empty(), tmp.resolve("x.pfidx")));
            assertTrue(e.getMessage().contains("not in ImageFolder order"), e.getMessage());

            IndexStore store = IndexStore.inFolder(tmp.resolve("state-" + keys.get(0).length()));
            CountingPages source = new CountingPages(objects);
            DatasetIndexer indexer = Fixtures.indexer(source);
            IndexBuild b = indexer.loadOrBuild(IMAGE_FOLDER, store);
            int pagedBefore = source.paged;
            indexer.loadOrBuild(IMAGE_FOLDER, store);

            assertEquals(List.of(keys.get(1), keys.get(0)), b.index().objects().stream().map(ObjectRef::key).toList());
            assertHeldBuildOf(objects, store, IMAGE_FOLDER);
            assertEquals(1, pagedBefore, "streamed once, found out of order");
            assertEquals(1, source.paged, "then listed held only, not streamed again first");
        }
    }

    private Path writeTo(byte[] bytes) throws IOException {
        Path f = tmp.resolve("before.pfidx");
        Files.write(f, bytes);
        return f;
    }

    /** A source that only lists: a file-per-sample index is built from the listing alone. */
    private interface ListingOnly extends RangeSource {
        @Override
        default Optional<ObjectRef> head(String key) {
            throw new AssertionError("a file-per-sample index is built from the listing alone");
        }

        @Override
        default byte[] read(ObjectRef object, long offset, int length) {
            throw new AssertionError("a file-per-sample index is built from the listing alone");
        }

        @Override
        default InputStream stream(ObjectRef object) {
            throw new AssertionError("a file-per-sample index is built from the listing alone");
        }
    }

    /** A source listing {@code objects} as given, only through the paged listing. */
    private record PagedOnly(List<ObjectRef> objects) implements ListingOnly {
        @Override
        public List<ObjectRef> list(String prefix) {
            throw new AssertionError("the whole listing was asked for");
        }

        @Override
        public void list(String prefix, ListingConsumer each) throws IOException {
            for (ObjectRef o : objects) {
                if (o.key().startsWith(prefix)) {
                    each.accept(o);
                }
            }
        }
    }

    /** A store that lists in the order given, whole or paged (the paged listing is the default one). */
    private record HeldOrder(List<ObjectRef> objects) implements ListingOnly {
        @Override
        public List<ObjectRef> list(String prefix) {
            return objects.stream().filter(o -> o.key().startsWith(prefix)).toList();
        }
    }

    /** A store that lists in the order given, whole or paged, counting the paged listings. */
    private static final class CountingPages implements ListingOnly {
        private final List<ObjectRef> objects;
        int paged;

        CountingPages(List<ObjectRef> objects) {
            this.objects = objects;
        }

        @Override
        public List<ObjectRef> list(String prefix) {
            return objects.stream().filter(o -> o.key().startsWith(prefix)).toList();
        }

        @Override
        public void list(String prefix, ListingConsumer each) throws IOException {
            paged++;
            for (ObjectRef o : list(prefix)) {
                each.accept(o);
            }
        }
    }

    /** A source listing {@code objects} only as a whole list, as the held build asks. */
    private record HeldOnly(List<ObjectRef> objects) implements ListingOnly {
        @Override
        public List<ObjectRef> list(String prefix) {
            return objects.stream().filter(o -> o.key().startsWith(prefix)).toList();
        }

        @Override
        public void list(String prefix, ListingConsumer each) {
            throw new AssertionError("the paged listing was used");
        }
    }
}

package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Listings moved to a mapped file answer exactly as they did on the heap, and leave no file behind. */
class NamesFileTest {
    private static final Instant MOUNT = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LISTED = Instant.parse("2026-01-02T00:00:00Z");
    private static final String MD5 = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    private static Listing listing(String dirPath, int files, String etag) {
        ListingBuilder b = new ListingBuilder(dirPath);
        for (int i = 0; i < files; i++) {
            String name = String.format("s%07d-é.jpg", i);
            b.addFile(name, new ObjectMeta(dirPath + "/" + name, 1000L + i, etag,
                    MOUNT.plusSeconds(i).plusNanos(i)));
            if (i % 100 == 0) {
                b.addDir("sub" + i);
            }
        }
        return b.build(path -> null, inode -> inode.path().hashCode(), MOUNT, LISTED);
    }

    private static List<String> names(Listing l) {
        return l.listing().entries().stream().map(DirEntry::name).toList();
    }

    @Test
    void finish_everyEntryAndLookup_sameAsOnTheHeap_andTheFolderIsEmptyAfter() throws IOException {
        Map<String, Listing> heap = Map.of(
                "train/a", listing("train/a", 5_000, MD5),
                "train/b", listing("train/b", 7, "9b2cf535f27731c974343645a3985328-3"),
                "train/empty", listing("train/empty", 0, MD5));

        Map<String, Listing> mapped;
        try (NamesFile file = NamesFile.create(dir)) {
            for (Listing l : heap.values()) {
                file.add(l);
            }
            mapped = file.finish();
        }

        assertEquals(heap.keySet(), mapped.keySet());
        for (String d : heap.keySet()) {
            Listing h = heap.get(d);
            Listing m = mapped.get(d);
            PackedEntries entries = (PackedEntries) m.listing().entries();
            assertTrue(entries.mapped(), d);
            assertTrue(entries.retainedBytes() < 1024, d + " holds " + entries.retainedBytes() + " bytes of heap");
            assertEquals(h.listing().entries(), m.listing().entries(), d);
            assertEquals(h.listing().verifier(), DirListing.verifierOf(List.copyOf(m.listing().entries())), d);
            assertEquals(h.exists(), m.exists());
            assertEquals(h.mtime(), m.mtime());
            for (int i = 0; i < h.listing().entries().size(); i += 97) {
                assertEquals(h.listing().nameHash(i), m.listing().nameHash(i));
                String name = h.listing().entries().get(i).name();
                assertEquals(h.find(name), m.find(name));
                assertEquals(h.listing().indexAfter(name), m.listing().indexAfter(name));
            }
            assertNull(m.find("s0000000-é.jpg.missing"));
            assertEquals(h.listing().indexAfter("s0000002"), m.listing().indexAfter("s0000002"));
        }
        assertEquals(names(heap.get("train/a")), names(mapped.get("train/a")));
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "the file is deleted once mapped");
        }
    }

    @Test
    void create_inAFolderThatIsNotThere_fails() {
        assertThrows(IOException.class, () -> NamesFile.create(dir.resolve("missing")));
    }

    @Test
    void closedUnfinished_leavesNoFile_andFinishedEmpty_mapsNothing() throws IOException {
        try (NamesFile file = NamesFile.create(dir)) {
            file.add(listing("d", 3, MD5));
        }
        try (NamesFile file = NamesFile.create(dir)) {
            assertEquals(Map.of(), file.finish());
        }

        try (var left = Files.list(dir)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void sweep_removesWhatACrashLeft_andNothingElse() throws IOException {
        Files.writeString(dir.resolve("dataset-1" + NamesFile.SUFFIX), "left by a crash", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("keep.txt"), "not ours", StandardCharsets.UTF_8);

        NamesFile.sweep(dir);

        try (var left = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("keep.txt")), left.toList());
        }
    }
}

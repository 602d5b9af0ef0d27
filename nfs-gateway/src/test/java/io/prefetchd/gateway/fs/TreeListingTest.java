package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every directory of a flat listing, built as the listing moves past it, the same as when all are held. */
class TreeListingTest {
    private static final Instant MOUNT = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LISTED = Instant.parse("2026-01-02T00:00:00Z");
    private static final String MD5 = "0123456789abcdef0123456789abcdef";
    /** Keys below the folder "ds", in S3's order: a file before a directory named by its prefix, markers, bad names. */
    private static final List<String> KEYS = List.of(
            "a/", "a/b-x.jpg", "a/b/1.jpg", "a/b/2.jpg", "a/b/c/deep.jpg", "a/b0.jpg", "a/c", "a/c/x.jpg",
            "a/d/../bad.jpg", "b/1.jpg", "empty/", "top.jpg", "z/z/z/z.jpg");

    @TempDir
    Path dir;

    private static ObjectMeta meta(String rel) {
        return new ObjectMeta("ds/" + rel, rel.length(), MD5, MOUNT.plusSeconds(rel.hashCode() & 0xffff));
    }

    private static TreeListing tree(boolean closeEarly, Function<String, Listing> previous, NamesFile file) {
        return new TreeListing("ds", inode -> inode.path().hashCode(), MOUNT, LISTED, closeEarly, previous, file);
    }

    private static Map<String, Listing> walk(TreeListing t, List<String> keys) throws Exception {
        for (String k : keys) {
            t.add(k, meta(k));
        }
        return t.finish();
    }

    private static Map<String, List<DirEntry>> entries(Map<String, Listing> listings) {
        Map<String, List<DirEntry>> out = new TreeMap<>();
        listings.forEach((d, l) -> out.put(d, List.copyOf(l.listing().entries())));
        return out;
    }

    @Test
    void closingEarly_intoAFile_buildsTheSameListingsAsHoldingEveryDirectory() throws Exception {
        Map<String, Listing> held = walk(tree(false, d -> null, null), KEYS);
        Map<String, Listing> streamed;
        try (NamesFile file = NamesFile.create(dir)) {
            streamed = walk(tree(true, d -> null, file), KEYS);
        }

        assertEquals(List.of("ds", "ds/a", "ds/a/b", "ds/a/b/c", "ds/a/c", "ds/a/d", "ds/b", "ds/empty", "ds/z",
                "ds/z/z", "ds/z/z/z"), new ArrayList<>(new TreeMap<>(held).keySet()));
        assertEquals(entries(held), entries(streamed));
        for (String d : held.keySet()) {
            assertEquals(held.get(d).listing().verifier(), streamed.get(d).listing().verifier(), d);
            assertEquals(held.get(d).mtime(), streamed.get(d).mtime(), d);
            assertEquals(held.get(d).exists(), streamed.get(d).exists(), d);
            assertTrue(((PackedEntries) streamed.get(d).listing().entries()).mapped(), d);
        }
        assertEquals(List.of("b", "b-x.jpg", "b0.jpg", "c", "d"),
                held.get("ds/a").listing().entries().stream().map(DirEntry::name).toList());
        assertEquals(FileType.REGULAR, held.get("ds/a").find("c").attributes().type(), "the file wins");
        assertEquals(held.get("ds/a/b").listing().verifier(), held.get("ds/a").find("b").attributes().change());
    }

    @Test
    void closingEarly_finishesADirectoryAsSoonAsTheListingMovesPastIt() throws Exception {
        List<String> finished = new ArrayList<>();
        TreeListing t = tree(true, d -> {
            finished.add(d);
            return null;
        }, null);

        t.add("a/b/1.jpg", meta("a/b/1.jpg"));
        t.add("a/b/2.jpg", meta("a/b/2.jpg"));
        assertEquals(List.of(), finished);
        t.add("a/c/1.jpg", meta("a/c/1.jpg"));
        assertEquals(List.of("ds/a/b"), finished);
        t.add("b/1.jpg", meta("b/1.jpg"));
        assertEquals(List.of("ds/a/b", "ds/a/c", "ds/a"), finished);
        t.finish();
        assertEquals(List.of("ds/a/b", "ds/a/c", "ds/a", "ds/b", "ds"), finished);
    }

    @Test
    void aKeyBackInAFinishedDirectory_isOutOfOrderWhenClosingEarly_andTakenWhenHoldingAll() throws Exception {
        List<String> shuffled = new ArrayList<>(KEYS);
        Collections.swap(shuffled, 2, shuffled.size() - 2);   // a/b/1.jpg after b/1.jpg and top.jpg

        assertThrows(TreeListing.OutOfOrder.class, () -> walk(tree(true, d -> null, null), shuffled));
        assertEquals(entries(walk(tree(false, d -> null, null), KEYS)),
                entries(walk(tree(false, d -> null, null), shuffled)));
    }

    @Test
    void aWalkFindingNothingChanged_keepsEveryListing() throws Exception {
        Map<String, Listing> before;
        try (NamesFile file = NamesFile.create(dir)) {
            before = walk(tree(true, d -> null, file), KEYS);
        }

        Map<String, Listing> after;
        try (NamesFile file = NamesFile.create(dir)) {
            after = walk(tree(true, before::get, file), KEYS);
        }

        assertEquals(before.keySet(), after.keySet());
        before.forEach((d, l) -> assertSame(l, after.get(d), d));
    }

    @Test
    void aChangedDirectory_getsANewListing_andTheFileHoldsEveryListingAnew() throws Exception {
        Map<String, Listing> before;
        try (NamesFile file = NamesFile.create(dir)) {
            before = walk(tree(true, d -> null, file), KEYS);
        }
        List<String> changed = new ArrayList<>(KEYS);
        changed.set(changed.indexOf("b/1.jpg"), "b/2.jpg");

        Map<String, Listing> onHeap = walk(tree(true, before::get, null), changed);
        Map<String, Listing> after;
        try (NamesFile file = NamesFile.create(dir)) {
            after = walk(tree(true, before::get, file), changed);
        }

        assertSame(before.get("ds/a/b"), onHeap.get("ds/a/b"), "on the heap an unchanged listing is kept");
        assertNotSame(before.get("ds/a/b"), after.get("ds/a/b"), "no listing keeps the older file mapped");
        assertEquals(List.copyOf(before.get("ds/a/b").listing().entries()),
                List.copyOf(after.get("ds/a/b").listing().entries()));
        assertEquals(List.of("2.jpg"), after.get("ds/b").listing().entries().stream().map(DirEntry::name).toList());
        assertNotEquals(before.get("ds").listing().entries(), after.get("ds").listing().entries(),
                "its entry for b shows b's new change attribute");
    }

    @Test
    void aFullDisk_failsTheWalk() throws IOException {
        NamesFile file = NamesFile.create(dir);
        file.close();   // writes to a closed file fail as a full disk does: with an IOException

        assertThrows(IOException.class, () -> walk(tree(true, d -> null, file), KEYS));
    }
}

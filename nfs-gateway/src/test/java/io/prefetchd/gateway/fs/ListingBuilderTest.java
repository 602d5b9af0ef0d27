package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectMeta;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Directory listings in packed form: order, naming rules, attributes and what they cost. */
class ListingBuilderTest {
    private static final Instant MOUNT = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LISTED = Instant.parse("2026-01-02T00:00:00Z");
    private static final String MD5 = "0123456789abcdef0123456789abcdef";

    private static ObjectMeta object(String name, long size, String etag, Instant mtime) {
        return new ObjectMeta("p/" + name, size, etag, mtime);
    }

    private static Listing build(ListingBuilder b) {
        return b.build(path -> null, inode -> inode.path().hashCode(), MOUNT, LISTED);
    }

    @Test
    void build_flatListingOrder_sortedByUtf8BytesAndFileWinsOverDirectory() {
        ListingBuilder b = new ListingBuilder("d");
        b.addFile("a.txt", object("a.txt", 1, MD5, MOUNT));
        b.addDir("a");
        b.addDir("a");
        b.addFile("b", object("b", 2, MD5, MOUNT));
        b.addDir("b");   // a key "b/x" beside the object "b": the file wins
        b.addFile("é", object("é", 3, MD5, MOUNT));
        b.addFile("z", object("z", 4, MD5, MOUNT));

        List<DirEntry> entries = build(b).listing().entries();

        assertEquals(List.of("a", "a.txt", "b", "z", "é"), entries.stream().map(DirEntry::name).toList());
        assertTrue(entries.get(0).inode().isDirectory());
        assertEquals(FileType.REGULAR, entries.get(2).attributes().type());
    }

    @Test
    void build_invalidNames_leftOutButDirectoryExists() {
        ListingBuilder b = new ListingBuilder("");
        b.addFile("..", object("..", 1, MD5, MOUNT));
        b.addDir("x".repeat(256));

        Listing l = build(b);

        assertTrue(l.exists());
        assertTrue(l.listing().entries().isEmpty());
    }

    @Test
    void entry_attributes_sameAsFromTheObjectItself() {
        Instant mtime = Instant.parse("2026-03-04T05:06:07.123456789Z");
        ListingBuilder b = new ListingBuilder("train/cat");
        b.addFile("1.jpg", object("1.jpg", 1234, MD5, mtime));
        b.addFile("2.jpg", object("2.jpg", 99, "d41d8cd98f00b204e9800998ecf8427e-12", MOUNT));
        b.addFile("3.jpg", object("3.jpg", 5, "ABCDEF0123456789ABCDEF0123456789", MOUNT));

        Listing l = build(b);

        DirEntry one = l.find("1.jpg");
        assertEquals(new Inode(FileType.REGULAR, "train/cat/1.jpg"), one.inode());
        assertEquals(new FileAttributes(FileType.REGULAR, 1234, "train/cat/1.jpg".hashCode(),
                S3FileSystem.changeOf(MD5, 1234), mtime, MD5), one.attributes());
        assertEquals("d41d8cd98f00b204e9800998ecf8427e-12", l.find("2.jpg").attributes().etag());
        assertEquals("ABCDEF0123456789ABCDEF0123456789", l.find("3.jpg").attributes().etag());
        assertEquals(mtime, l.mtime(), "the newest object's");
    }

    @Test
    void directoryEntry_carriesTheKnownSubListingsChangeAndMtime() {
        ListingBuilder sub = new ListingBuilder("d/s");
        sub.addFile("f", object("f", 1, MD5, LISTED));
        Listing subListing = build(sub);
        ListingBuilder b = new ListingBuilder("d");
        b.addDir("s");
        b.addDir("t");

        Listing l = b.build(path -> path.equals("d/s") ? ListingBuilder.Subdir.of(subListing) : null, inode -> 7,
                MOUNT, LISTED);

        assertEquals(subListing.listing().verifier(), l.find("s").attributes().change());
        assertEquals(LISTED, l.find("s").attributes().mtime());
        assertEquals(FileAttributes.UNKNOWN_CHANGE, l.find("t").attributes().change());
        assertEquals(MOUNT, l.find("t").attributes().mtime());
    }

    @Test
    void find_everyNameOfALargeDirectory_foundAndMissingNamesNot() {
        ListingBuilder b = new ListingBuilder("big");
        for (int i = 0; i < 100_000; i++) {
            String name = String.format("sample_%07d.jpg", i);
            b.addFile(name, object(name, i, MD5, MOUNT));
        }
        Listing l = build(b);

        for (int i = 0; i < 100_000; i += 997) {
            assertEquals(i, l.find(String.format("sample_%07d.jpg", i)).attributes().size());
        }
        assertNull(l.find("sample_0100000.jpg"));
        assertNull(l.find("a"));
        assertNull(l.find("zzz"));
    }

    @Test
    void verifier_sameAsOfTheSameEntriesHeldAsAList() {
        ListingBuilder b = new ListingBuilder("");
        b.addDir("dir");
        b.addFile("ünï", object("ünï", 1, MD5, MOUNT));
        b.addFile("file", object("file", 1, MD5, MOUNT));
        DirListing packed = build(b).listing();

        assertEquals(DirListing.verifierOf(new ArrayList<>(packed.entries())), packed.verifier());
        assertEquals(DirListing.verifierOf(List.of()), build(new ListingBuilder("")).listing().verifier());
    }

    @Test
    void packedListing_millionEntries_holdsUnder48BytesPerEntryBesidesTheNames() {
        ListingBuilder b = new ListingBuilder("big");
        long nameBytes = 0;
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            String name = String.format("sample_%07d.jpg", i);
            nameBytes += name.getBytes(StandardCharsets.UTF_8).length;
            b.addFile(name, object(name, i, MD5, MOUNT));
        }

        Listing l = build(b);

        long perEntry = (l.weight() - nameBytes) / n;
        assertTrue(perEntry <= 48, perEntry + " bytes per entry besides its name");
    }
}

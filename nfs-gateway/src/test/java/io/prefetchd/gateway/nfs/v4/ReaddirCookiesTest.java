package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.testing.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * READDIR cookies resumed in the snapshot that gave them and, once it is gone, by name in a later listing of the
 * directory: paging through a directory that changes, on a manual clock.
 */
class ReaddirCookiesTest {
    private static final int ENTRIES = 200;
    /** Room for about 20 entries with their type. */
    private static final int SMALL_REPLY = 600;

    private final NfsHarness nfs = new NfsHarness();
    private byte[] dir;

    private static String name(int i) {
        return String.format(Locale.ROOT, "f%03d", i);
    }

    @BeforeEach
    void setUp() {
        for (int i = 0; i < ENTRIES; i++) {
            nfs.put("big/" + name(i), "x");
        }
        nfs.mount41();
        dir = ok(nfs.call41(b -> b.putrootfh().lookup("big").getfh())).last().as(byte[].class);
    }

    private CompoundReply.Readdir readdir(long cookie, long verifier) {
        return ok(nfs.call41(b -> b.putfh(dir).readdir(cookie, verifier, 0, SMALL_REPLY, Attr.TYPE)))
                .last().as(CompoundReply.Readdir.class);
    }

    private static long lastCookie(CompoundReply.Readdir page) {
        return page.entries().get(page.entries().size() - 1).cookie();
    }

    private static List<String> names(CompoundReply.Readdir page) {
        return page.entries().stream().map(CompoundReply.DirEntry::name).toList();
    }

    /** The rest of the listing after {@code page}, page by page, as the client continues it. */
    private List<String> rest(CompoundReply.Readdir page) {
        List<String> seen = new ArrayList<>();
        while (!page.eof()) {
            page = readdir(lastCookie(page), page.verifier());
            seen.addAll(names(page));
        }
        return seen;
    }

    /** Lets 11 minutes pass (every unused snapshot expires after 10) while the client keeps its lease. */
    private void dropSnapshots() {
        for (int i = 0; i < 22; i++) {
            nfs.clock.advance(Duration.ofSeconds(30));
            ok(nfs.call41(b -> b));
        }
    }

    @Test
    void snapshotGoneBetweenPages_listingContinuesAfterTheLastEntrySeen_everyLastingEntryOnce() {
        CompoundReply.Readdir first = readdir(0, 0);
        List<String> seen = new ArrayList<>(names(first));
        int k = seen.size();
        assertTrue(k > 5 && k < 50, "a first page of " + k);
        nfs.store.delete("big/" + name(1));          // already seen
        nfs.store.delete("big/" + name(120));        // not seen yet: must not appear
        nfs.put("big/a-before", "x");                // sorts before the cursor: not seen
        nfs.put("big/" + name(150) + "b", "x");      // sorts after it: seen
        dropSnapshots();

        List<String> later = rest(first);
        seen.addAll(later);

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < ENTRIES; i++) {
            if (i != 120) {   // f001 went after it was seen
                expected.add(name(i));
            }
            if (i == 150) {
                expected.add(name(150) + "b");
            }
        }
        assertEquals(expected, seen);
        assertEquals(seen.size(), new HashSet<>(seen).size(), "no entry twice");
    }

    @Test
    void snapshotGone_replyCarriesTheCurrentListingsVerifier() {
        CompoundReply.Readdir first = readdir(0, 0);
        nfs.put("big/zzz", "x");
        dropSnapshots();

        CompoundReply.Readdir second = readdir(lastCookie(first), first.verifier());

        assertNotEquals(first.verifier(), second.verifier());
        assertEquals(name(first.entries().size()), second.entries().get(0).name());
    }

    @Test
    void snapshotHeld_pagesGoOnInThatSnapshot_whateverChangedMeanwhile() {
        CompoundReply.Readdir first = readdir(0, 0);
        int k = first.entries().size();
        nfs.store.delete("big/" + name(k + 1));
        nfs.put("big/" + name(k) + "b", "x");
        for (int i = 0; i < 4; i++) {   // two minutes: the listing is read again, the snapshot is still held
            nfs.clock.advance(Duration.ofSeconds(30));
            ok(nfs.call41(b -> b));
        }
        assertNotEquals(first.verifier(), readdir(0, 0).verifier(), "the directory's current listing changed");

        CompoundReply.Readdir second = readdir(lastCookie(first), first.verifier());

        assertEquals(first.verifier(), second.verifier());
        assertEquals(List.of(name(k), name(k + 1), name(k + 2)), names(second).subList(0, 3));
    }

    @Test
    void lastEntrySeenRemoved_andSnapshotGone_listingContinuesAtTheNextName() {
        CompoundReply.Readdir first = readdir(0, 0);
        String last = first.entries().get(first.entries().size() - 1).name();
        nfs.store.delete("big/" + last);
        dropSnapshots();

        CompoundReply.Readdir second = readdir(lastCookie(first), first.verifier());

        assertEquals(name(first.entries().size()), second.entries().get(0).name());
    }

    @Test
    void cookieFromTheMiddleOfAReply_resumesAfterItsEntry_inALaterSnapshot() {
        CompoundReply.Readdir first = readdir(0, 0);
        long fifth = first.entries().get(4).cookie();
        nfs.put("big/a0", "x");
        nfs.put("big/a1", "x");
        nfs.store.delete("big/" + name(2));
        dropSnapshots();

        CompoundReply.Readdir resumed = readdir(fifth, first.verifier());

        assertEquals(name(5), resumed.entries().get(0).name());
    }

    @Test
    void cookieFromTheMiddleOfAReply_whoseEntryWasRemoved_andSnapshotGone_isNotSame() {
        CompoundReply.Readdir first = readdir(0, 0);
        long fifth = first.entries().get(4).cookie();
        nfs.store.delete("big/" + name(4));
        dropSnapshots();

        assertEquals(NfsStatus.NFS4ERR_NOT_SAME, nfs.call41(b -> b.putfh(dir).readdir(fifth, first.verifier(), 0,
                SMALL_REPLY, Attr.TYPE)).status());
    }

    @Test
    void cookies_areDistinct_neitherReservedNorNegative_andResumeExactlyInTheirSnapshot() {
        CompoundReply.Readdir page = readdir(0, 0);
        List<Long> cookies = new ArrayList<>();
        List<String> seen = new ArrayList<>(names(page));
        page.entries().forEach(e -> cookies.add(e.cookie()));
        while (!page.eof()) {
            page = readdir(lastCookie(page), page.verifier());
            page.entries().forEach(e -> cookies.add(e.cookie()));
            seen.addAll(names(page));
        }
        assertEquals(ENTRIES, seen.size());
        assertEquals(ENTRIES, new HashSet<>(cookies).size());
        assertTrue(cookies.stream().allMatch(c -> c >= 1L << 36), "every cookie is at least 2^36");
    }

    @Test
    void cookieNoSnapshotGave_isBadCookie() {
        CompoundReply.Readdir first = readdir(0, 0);
        long v = first.verifier();
        assertEquals(NfsStatus.NFS4ERR_BAD_COOKIE, nfs.call41(b -> b.putfh(dir).readdir(7, v, 0, SMALL_REPLY,
                Attr.TYPE)).status());
        long wrongHash = first.entries().get(3).cookie() ^ 1;
        assertEquals(NfsStatus.NFS4ERR_BAD_COOKIE, nfs.call41(b -> b.putfh(dir).readdir(wrongHash, v, 0,
                SMALL_REPLY, Attr.TYPE)).status());
    }

    @Test
    void cookieOfAPositionPastItsField_resumesByNameHash() throws NfsException {
        DirListing listing = new DirListing(42, List.of(entry("a"), entry("b"), entry("c")));
        long b = ReaddirCookies.cookie(Integer.MAX_VALUE, DirListing.nameHash("b".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ReaddirCookies.SATURATED, b >>> ReaddirCookies.HASH_BITS);

        assertEquals(2, new ReaddirCookies(new ManualClock()).resume("d", listing, 42, b));
    }

    private static DirEntry entry(String name) {
        Inode inode = new Inode(FileType.REGULAR, "d/" + name);
        return new DirEntry(name, inode, new FileAttributes(FileType.REGULAR, 1, 1, 1, Instant.EPOCH, "e"));
    }

    @Test
    void resumingEveryCookieOfAListing_inALaterSnapshot_neverRepeatsOrSkipsALastingEntry() throws NfsException {
        List<DirEntry> before = new ArrayList<>();
        List<DirEntry> after = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            before.add(entry(name(i)));
            if (i % 7 != 3) {
                after.add(entry(name(i)));
            }
            if (i % 11 == 5) {
                after.add(entry(name(i) + "+"));
            }
        }
        DirListing old = new DirListing(1, before);
        DirListing now = new DirListing(2, after);
        ReaddirCookies cookies = new ReaddirCookies(new ManualClock());
        for (int i = 0; i < 1000; i++) {
            if (i % 7 == 3) {
                continue;   // removed: only a reply's last cookie is remembered
            }
            long c = ReaddirCookies.cookie(i, old.nameHash(i));
            int at = cookies.resume("d", now, 1, c);
            String resumedAt = at < now.entries().size() ? now.entries().get(at).name() : null;
            assertTrue(resumedAt == null || resumedAt.compareTo(name(i)) > 0, resumedAt + " after " + name(i));
            assertEquals(name(i), now.entries().get(at - 1).name(), "continues right after " + name(i));
        }
        assertThrows(NfsException.class, () -> cookies.resume("d", now, 1, ReaddirCookies.cookie(3, old.nameHash(3))));
    }
}

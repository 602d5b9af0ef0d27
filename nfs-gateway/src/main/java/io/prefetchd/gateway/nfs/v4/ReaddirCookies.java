package io.prefetchd.gateway.nfs.v4;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * READDIR cookies (RFC 8881 section 18.23) that stay valid when the directory changes and when the snapshot they
 * were handed out from is no longer held.
 *
 * <p><b>Why.</b> A cookie that is only a position in a snapshot dies with the snapshot; a Linux client told
 * NFS4ERR_NOT_SAME or NFS4ERR_BAD_COOKIE in the middle of a listing drops what it has and, for an application
 * already past the first page, ends the listing early. Snapshots of big directories are what a byte-bounded cache
 * evicts first, so the cookie has to carry enough to find its place in a later snapshot.
 *
 * <p><b>Layout.</b> Bits 62..36 hold the entry's position in its snapshot plus one (saturated at 2^27 - 1, far
 * beyond any listing the heap holds), bits 35..0 a 36-bit fold of the 64-bit hash of its name's UTF-8 bytes
 * ({@link DirListing#nameHash}). So a cookie is at least 2^36: never one of the reserved 0, 1 and 2; bit 63 is
 * clear; and two entries of one snapshot never share a cookie.
 *
 * <p><b>Resuming</b> after cookie c with verifier v, in the listing the file system gives (the snapshot v while it
 * is held, else the directory's current one):
 * <ol>
 *   <li>In the snapshot itself the position is exact (the name hash there is checked, so a forged cookie is not
 *       taken for another entry).</li>
 *   <li>In a later snapshot the entry is found by its name hash, first where it was (entries added or removed
 *       before it shift it a little), then anywhere; the listing continues after it. Listings are sorted by name,
 *       so every entry that existed throughout is returned exactly once, entries added after the cookie's name
 *       appear, and entries added before it do not.</li>
 *   <li>When the entry itself is gone from the directory, the name of the last entry of each reply that was not
 *       the end of the listing is remembered (a bounded, expiring map): the listing continues at the first name
 *       after it. This is the cookie clients continue from.</li>
 *   <li>Otherwise (a cookie from the middle of a reply, whose entry was removed, and whose snapshot is gone) the
 *       answer is NFS4ERR_NOT_SAME; a cookie no snapshot could have given is NFS4ERR_BAD_COOKIE.</li>
 * </ol>
 * A 36-bit hash shared by two names could resume after the wrong one of them only in steps 2 and 3, about once in
 * 2^36 / (entries searched) resumptions.
 *
 * <p>Thread-safe: the remembered names are a concurrent cache.
 */
public final class ReaddirCookies {
    static final int HASH_BITS = 36;
    private static final long HASH_MASK = (1L << HASH_BITS) - 1;
    /** The largest position field: positions from {@code SATURATED - 1} on all carry it. */
    static final long SATURATED = (1L << (63 - HASH_BITS)) - 1;
    /** How far from its old position an entry is looked for before the whole listing is searched. */
    static final int NEAR = 4096;
    /** Names remembered for the cookies that ended a reply: at most about 64 bytes plus the name each. */
    static final int REMEMBERED = 65_536;
    static final Duration REMEMBERED_FOR = Duration.ofMinutes(30);

    private record Remembered(String dirPath, long cookie) {}

    private final Cache<Remembered, String> lastNames;

    /** @param clock time for forgetting remembered names */
    public ReaddirCookies(Clock clock) {
        requireNonNull(clock, "clock is null");
        this.lastNames = Caffeine.newBuilder().ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .expireAfterAccess(REMEMBERED_FOR).maximumSize(REMEMBERED).build();
    }

    /** The cookie of the entry at {@code position} whose name has {@link DirListing#nameHash} {@code nameHash}. */
    public static long cookie(int position, long nameHash) {
        long field = Math.min((long) position + 1, SATURATED);
        return field << HASH_BITS | fold(nameHash);
    }

    private static long fold(long hash) {
        return (hash ^ hash >>> HASH_BITS) & HASH_MASK;
    }

    /**
     * The position in {@code listing} of the first entry after the one {@code cookie} names (see the class rules).
     *
     * @param verifier the cookie verifier the client sent with the cookie
     * @throws NfsException NFS4ERR_NOT_SAME when the entry and its snapshot are both gone, NFS4ERR_BAD_COOKIE for a
     *     cookie that names no entry this directory could have had
     */
    public int resume(String dirPath, DirListing listing, long verifier, long cookie) throws NfsException {
        long field = cookie >>> HASH_BITS;
        if (field == 0 || cookie < 0) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_COOKIE, "cookie " + cookie + " was not handed out here");
        }
        long hash = cookie & HASH_MASK;
        int size = listing.entries().size();
        int position = (int) Math.min(field - 1, size);
        boolean sameSnapshot = listing.verifier() == verifier;
        if (sameSnapshot && field < SATURATED && position < size && fold(listing.nameHash(position)) == hash) {
            return position + 1;
        }
        int found = find(listing, hash, position);
        if (found >= 0) {
            return found + 1;
        }
        String name = lastNames.getIfPresent(new Remembered(dirPath, cookie));
        if (name != null) {
            return listing.indexAfter(name);
        }
        if (sameSnapshot) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_COOKIE, "cookie " + cookie + " names no entry of /" + dirPath);
        }
        throw new NfsException(NfsStatus.NFS4ERR_NOT_SAME, "the entry cookie " + cookie + " named left /" + dirPath
                + " and its listing is no longer held");
    }

    /**
     * Remembers that a reply ended with the entry {@code name} at {@code cookie}, not at the end of the listing, so
     * that the listing can continue after it once the entry is gone.
     */
    public void ended(String dirPath, long cookie, String name) {
        lastNames.put(new Remembered(requireNonNull(dirPath, "dirPath is null"), cookie),
                requireNonNull(name, "name is null"));
    }

    /** The position of the entry with this folded name hash nearest to {@code near}, or -1. */
    private static int find(DirListing listing, long hash, int near) {
        int size = listing.entries().size();
        for (int d = 0; d <= NEAR && (near + d < size || near - d >= 0); d++) {
            if (near + d < size && fold(listing.nameHash(near + d)) == hash) {
                return near + d;
            }
            if (d > 0 && near - d >= 0 && near - d < size && fold(listing.nameHash(near - d)) == hash) {
                return near - d;
            }
        }
        for (int i = 0; i < size; i++) {
            if (Math.abs((long) i - near) > NEAR && fold(listing.nameHash(i)) == hash) {
                return i;
            }
        }
        return -1;
    }
}

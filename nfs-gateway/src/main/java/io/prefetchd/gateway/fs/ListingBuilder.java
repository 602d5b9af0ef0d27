package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectMeta;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Collects one directory's files and subdirectories, from a delimiter listing of its prefix or from a flat
 * listing of a whole tree, and turns them into a {@link Listing} whose entries are {@link PackedEntries}. The naming
 * rules live here and nowhere else: names POSIX cannot hold (empty, ".", "..", with '/' or NUL, over 255 bytes) are
 * left out, and a file wins over a directory of the same name.
 *
 * <p>Entries are appended in arrival order straight into packed form (nothing per entry is kept as an object, so
 * listing a directory of millions of objects does not hold millions of {@link ObjectMeta}); {@link #build} sorts them
 * when S3's order was not already the names' order (a flat listing puts {@code a.txt} before {@code a/x}, so
 * directory {@code a} comes after file {@code a.txt}) and drops duplicates.
 *
 * <p>Not thread-safe: one builder is filled and built by one thread.
 */
final class ListingBuilder {
    static final long DIR_SIZE = 4096;
    private static final int MAX_NAME_BYTES = 255;

    private final String dirPath;
    private final PackedEntries.Bytes records = new PackedEntries.Bytes();
    private int[] starts = new int[16];
    private long[] values = new long[16];
    private long[] mtimes = new long[16];
    private int count;
    private @Nullable String lastDir;
    private long newest = Long.MIN_VALUE;
    private boolean exists;

    /** @param dirPath the directory, relative to the export ("" for the root) */
    ListingBuilder(String dirPath) {
        this.dirPath = requireNonNull(dirPath, "dirPath is null");
    }

    /** Something is under the directory's prefix (an object, a folder marker, a subdirectory). */
    void markExists() {
        exists = true;
    }

    /** An object directly in the directory; left out (but the directory exists) when its name is not valid. */
    void addFile(String name, ObjectMeta meta) {
        exists = true;
        byte[] utf8 = validNameBytes(name);
        if (utf8 == null) {
            return;
        }
        long mtime = nanos(meta.lastModified());
        newest = Math.max(newest, mtime);
        append(utf8, meta.size(), mtime);
        PackedEntries.writeEtag(records, meta.etag());
    }

    /** A subdirectory; left out (but the directory exists) when its name is not valid. */
    void addDir(String name) {
        exists = true;
        if (name.equals(lastDir)) {
            return;   // a flat listing names the same subdirectory once per key below it
        }
        byte[] utf8 = validNameBytes(name);
        if (utf8 == null) {
            return;
        }
        lastDir = name;
        append(utf8, 0, 0);
        records.add(PackedEntries.DIR);
    }

    /** The directory, relative to the export. */
    String path() {
        return dirPath;
    }

    String child(String name) {
        return dirPath.isEmpty() ? name : dirPath + "/" + name;
    }

    /** What a directory's entry in its parent shows of it: its change attribute and mtime. */
    record Subdir(long change, Instant mtime) {
        static @Nullable Subdir of(@Nullable Listing l) {
            return l == null ? null : new Subdir(l.listing().verifier(), l.mtime());
        }
    }

    /**
     * @param subdirs what is known of a subdirectory, by its path, or null
     * @param fileIds inode numbers
     * @param defaultMtime the mtime of directories with no files
     * @param loadedAt when the listing was read
     */
    Listing build(Function<String, @Nullable Subdir> subdirs, ToLongFunction<Inode> fileIds, Instant defaultMtime,
                  Instant loadedAt) {
        int[] order = sortedOrder();
        byte[] in = records.array();
        int kept = 0;
        int bytes = 0;
        int previous = -1;
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            if (previous >= 0 && sameName(in, starts[previous], starts[i])) {
                order[k] = -1;   // a directory behind the file of the same name, or named twice
                continue;
            }
            previous = i;
            kept++;
            bytes += end(i) - starts[i];
        }
        byte[] blob = new byte[bytes];
        int[] offsets = new int[kept + 1];
        long[] outValues = new long[kept];
        long[] outMtimes = new long[kept];
        long defaultNanos = nanos(defaultMtime);
        int n = 0;
        int at = 0;
        for (int i : order) {
            if (i < 0) {
                continue;
            }
            int length = end(i) - starts[i];
            System.arraycopy(in, starts[i], blob, at, length);
            offsets[n] = at;
            if (kindOf(in, starts[i]) == PackedEntries.DIR) {
                String name = new String(in, starts[i] + 1, in[starts[i]] & 0xff, StandardCharsets.UTF_8);
                Subdir sub = subdirs.apply(child(name));
                outValues[n] = sub != null ? sub.change() : FileAttributes.UNKNOWN_CHANGE;
                outMtimes[n] = sub != null ? nanos(sub.mtime()) : defaultNanos;
            } else {
                outValues[n] = values[i];
                outMtimes[n] = mtimes[i];
            }
            at += length;
            n++;
        }
        offsets[n] = at;
        PackedEntries entries = new PackedEntries(dirPath, fileIds, blob, offsets, outValues, outMtimes);
        Instant mtime = newest == Long.MIN_VALUE ? defaultMtime : Instant.ofEpochSecond(
                Math.floorDiv(newest, 1_000_000_000L), Math.floorMod(newest, 1_000_000_000L));
        return new Listing(new DirListing(entries.verifier(), entries), exists, mtime, loadedAt);
    }

    static FileAttributes dirAttributes(Inode dir, Listing l, ToLongFunction<Inode> fileIds) {
        return new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(dir), l.listing().verifier(),
                l.mtime(), null);
    }

    static boolean validName(String name) {
        return validNameBytes(name) != null;
    }

    /** The name's UTF-8 bytes, or null when POSIX cannot hold the name. */
    private static byte @Nullable [] validNameBytes(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            return null;
        }
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        return utf8.length <= MAX_NAME_BYTES ? utf8 : null;
    }

    private void append(byte[] name, long value, long mtime) {
        if (count == starts.length) {
            int grown = count * 2;
            starts = Arrays.copyOf(starts, grown);
            values = Arrays.copyOf(values, grown);
            mtimes = Arrays.copyOf(mtimes, grown);
        }
        starts[count] = records.length();
        values[count] = value;
        mtimes[count] = mtime;
        count++;
        records.add((byte) name.length);
        records.add(name, 0, name.length);
    }

    private int end(int i) {
        return i + 1 < count ? starts[i + 1] : records.length();
    }

    /** Candidates by name, a file before a directory of the same name; S3's order needs no sort at all. */
    private int[] sortedOrder() {
        byte[] in = records.array();
        boolean sorted = true;
        for (int i = 1; i < count && sorted; i++) {
            sorted = compare(in, starts[i - 1], starts[i]) < 0;
        }
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        if (!sorted) {
            Integer[] boxed = Arrays.stream(order).boxed().toArray(Integer[]::new);
            Arrays.sort(boxed, (a, b) -> compare(in, starts[a], starts[b]));
            for (int i = 0; i < count; i++) {
                order[i] = boxed[i];
            }
        }
        return order;
    }

    private static int compare(byte[] in, int a, int b) {
        int la = in[a] & 0xff;
        int lb = in[b] & 0xff;
        int c = Arrays.compareUnsigned(in, a + 1, a + 1 + la, in, b + 1, b + 1 + lb);
        if (c != 0) {
            return c;
        }
        return Boolean.compare(kindOf(in, a) == PackedEntries.DIR, kindOf(in, b) == PackedEntries.DIR);
    }

    private static boolean sameName(byte[] in, int a, int b) {
        int la = in[a] & 0xff;
        return la == (in[b] & 0xff) && Arrays.equals(in, a + 1, a + 1 + la, in, b + 1, b + 1 + la);
    }

    private static byte kindOf(byte[] in, int at) {
        return in[at + 1 + (in[at] & 0xff)];
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }
}

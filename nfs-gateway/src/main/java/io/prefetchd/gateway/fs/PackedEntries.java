package io.prefetchd.gateway.fs;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * One directory's entries in a few flat arrays, sorted by the UTF-8 bytes of their names (S3's own key order).
 *
 * <p><b>Why.</b> A directory of a million objects held as one record per entry (name, inode, attributes, ETag and
 * mtime objects, and a map entry by name) costs about 250 bytes of heap per entry; held like this it costs the
 * bytes of its name plus about 40. Nothing per entry is an object: a {@link DirEntry} is made when it is asked
 * for (one READDIR page, one LOOKUP) and dropped after.
 *
 * <p><b>Layout.</b> Entry {@code i} is {@code blob[offsets[i], offsets[i + 1])}: one byte of name length, the
 * name's UTF-8 bytes, one kind byte, then the ETag of a file: 16 bytes for the usual 32 lowercase hex digits,
 * else a length byte pair and its UTF-8 bytes. {@code values[i]} is a file's size or a directory's change attribute
 * (a directory's size is always {@link ListingBuilder#DIR_SIZE}); {@code mtimes[i]} is nanoseconds since the epoch.
 * A file's change attribute is derived from its ETag and size, and every entry's file id from its path, when the
 * entry is made.
 *
 * <p>Immutable, so thread-safe.
 */
final class PackedEntries extends AbstractList<DirEntry> implements RandomAccess {
    static final byte DIR = 0;
    static final byte FILE_HEX_ETAG = 1;
    static final byte FILE_RAW_ETAG = 2;
    private static final int HEX_ETAG_CHARS = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final String dirPath;
    private final ToLongFunction<Inode> fileIds;
    private final byte[] blob;
    private final int[] offsets;
    private final long[] values;
    private final long[] mtimes;
    private final long verifier;

    /** Arrays as laid out above, already sorted and without duplicate names; taken as they are, not copied. */
    PackedEntries(String dirPath, ToLongFunction<Inode> fileIds, byte[] blob, int[] offsets, long[] values,
                  long[] mtimes) {
        this.dirPath = requireNonNull(dirPath, "dirPath is null");
        this.fileIds = requireNonNull(fileIds, "fileIds is null");
        this.blob = requireNonNull(blob, "blob is null");
        this.offsets = requireNonNull(offsets, "offsets is null");
        this.values = requireNonNull(values, "values is null");
        this.mtimes = requireNonNull(mtimes, "mtimes is null");
        if (offsets.length != values.length + 1 || values.length != mtimes.length) {
            throw new IllegalArgumentException("offsets, values and mtimes do not describe the same entries");
        }
        this.verifier = computeVerifier();
    }

    @Override
    public int size() {
        return values.length;
    }

    @Override
    public DirEntry get(int i) {
        int at = offsets[i];
        int nameLength = blob[at] & 0xff;
        String name = new String(blob, at + 1, nameLength, StandardCharsets.UTF_8);
        int kindAt = at + 1 + nameLength;
        byte kind = blob[kindAt];
        Instant mtime = Instant.ofEpochSecond(Math.floorDiv(mtimes[i], 1_000_000_000L),
                Math.floorMod(mtimes[i], 1_000_000_000L));
        String path = dirPath.isEmpty() ? name : dirPath + "/" + name;
        if (kind == DIR) {
            Inode inode = new Inode(FileType.DIRECTORY, path);
            return new DirEntry(name, inode, new FileAttributes(FileType.DIRECTORY, ListingBuilder.DIR_SIZE,
                    fileIds.applyAsLong(inode), values[i], mtime, null));
        }
        String etag = etagAt(kind, kindAt + 1);
        Inode inode = new Inode(FileType.REGULAR, path);
        return new DirEntry(name, inode, new FileAttributes(FileType.REGULAR, values[i], fileIds.applyAsLong(inode),
                S3FileSystem.changeOf(etag, values[i]), mtime, etag));
    }

    /** The position of the entry named by these UTF-8 bytes, or {@code -(insertion point) - 1}. */
    int indexOf(byte[] name) {
        int lo = 0;
        int hi = values.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int at = offsets[mid];
            int c = Arrays.compareUnsigned(blob, at + 1, at + 1 + (blob[at] & 0xff), name, 0, name.length);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    /** {@link DirListing#nameHash(byte[])} of entry {@code i}'s name. */
    long nameHash(int i) {
        int at = offsets[i];
        return DirListing.nameHash(blob, at + 1, at + 1 + (blob[at] & 0xff));
    }

    /** The entry named {@code name}, or null. */
    @Nullable DirEntry find(String name) {
        int i = indexOf(name.getBytes(StandardCharsets.UTF_8));
        return i < 0 ? null : get(i);
    }

    /** A hash of the names and kinds in order, as {@link DirListing#verifierOf} computes it. */
    long verifier() {
        return verifier;
    }

    /** The heap these arrays take, for cache weights. */
    long retainedBytes() {
        return 96L + 16 + blob.length + 16 + 4L * offsets.length + 16 + 8L * values.length + 16 + 8L * mtimes.length;
    }

    private long computeVerifier() {
        long h = DirListing.FNV_OFFSET;
        for (int i = 0; i < values.length; i++) {
            int at = offsets[i];
            int end = at + 1 + (blob[at] & 0xff);
            for (int j = at + 1; j < end; j++) {
                h = (h ^ (blob[j] & 0xff)) * DirListing.FNV_PRIME;
            }
            h = (h ^ (blob[end] == DIR ? '/' : '\n')) * DirListing.FNV_PRIME;
        }
        return h == 0 ? 1 : h;
    }

    private String etagAt(byte kind, int at) {
        if (kind == FILE_HEX_ETAG) {
            byte[] hex = new byte[HEX_ETAG_CHARS];
            for (int k = 0; k < HEX_ETAG_CHARS / 2; k++) {
                int b = blob[at + k] & 0xff;
                hex[2 * k] = HEX[b >>> 4];
                hex[2 * k + 1] = HEX[b & 0xf];
            }
            return new String(hex, StandardCharsets.US_ASCII);
        }
        int length = (blob[at] & 0xff) << 8 | blob[at + 1] & 0xff;
        return new String(blob, at + 2, length, StandardCharsets.UTF_8);
    }

    /** Appends the kind byte and ETag of a file to {@code out}, in the layout above. */
    static void writeEtag(Bytes out, String etag) {
        if (isHexEtag(etag)) {
            out.add(FILE_HEX_ETAG);
            for (int k = 0; k < HEX_ETAG_CHARS; k += 2) {
                out.add((byte) (Character.digit(etag.charAt(k), 16) << 4 | Character.digit(etag.charAt(k + 1), 16)));
            }
            return;
        }
        byte[] raw = etag.getBytes(StandardCharsets.UTF_8);
        if (raw.length > 0xffff) {
            throw new IllegalArgumentException("ETag of " + raw.length + " bytes");
        }
        out.add(FILE_RAW_ETAG);
        out.add((byte) (raw.length >>> 8));
        out.add((byte) raw.length);
        out.add(raw, 0, raw.length);
    }

    private static boolean isHexEtag(String etag) {
        if (etag.length() != HEX_ETAG_CHARS) {
            return false;
        }
        for (int k = 0; k < HEX_ETAG_CHARS; k++) {
            char c = etag.charAt(k);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** A growable byte array. Not thread-safe. */
    static final class Bytes {
        private byte[] buf = new byte[64];
        private int length;

        void add(byte b) {
            ensure(1);
            buf[length++] = b;
        }

        void add(byte[] b, int from, int count) {
            ensure(count);
            System.arraycopy(b, from, buf, length, count);
            length += count;
        }

        int length() {
            return length;
        }

        byte[] array() {
            return buf;
        }

        private void ensure(int more) {
            if (length + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + more));
            }
        }
    }
}

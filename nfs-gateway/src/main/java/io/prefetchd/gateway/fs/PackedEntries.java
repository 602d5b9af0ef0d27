package io.prefetchd.gateway.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * One directory's entries in a few flat columns, sorted by the UTF-8 bytes of their names (S3's own key order).
 *
 * <p><b>Why.</b> A directory of a million objects held as one record per entry (name, inode, attributes, ETag and
 * mtime objects, and a map entry by name) costs about 250 bytes of heap per entry; held like this it costs the
 * bytes of its name plus about 40. Nothing per entry is an object: a {@link DirEntry} is made when it is asked
 * for (one READDIR page, one LOOKUP) and dropped after. The columns are heap arrays as a listing builds them, or
 * one region of a mapped file ({@link Shape#open}, {@link NamesFile}), which holds nothing per entry on the heap.
 *
 * <p><b>Layout.</b> Entry {@code i} is {@code blob[offsets[i], offsets[i + 1])}: one byte of name length, the
 * name's UTF-8 bytes, one kind byte, then the ETag of a file: 16 bytes for the usual 32 lowercase hex digits,
 * else a length byte pair and its UTF-8 bytes. {@code values[i]} is a file's size or a directory's change attribute
 * (a directory's size is always {@link ListingBuilder#DIR_SIZE}); {@code mtimes[i]} is nanoseconds since the epoch.
 * A file's change attribute is derived from its ETag and size, and every entry's file id from its path, when the
 * entry is made. A region is the columns one after the other: values, mtimes, offsets (one more than entries),
 * blob, in the platform's byte order.
 *
 * <p>Immutable, so thread-safe (the columns are read with absolute gets only).
 */
final class PackedEntries extends AbstractList<DirEntry> implements RandomAccess {
    static final byte DIR = 0;
    static final byte FILE_HEX_ETAG = 1;
    static final byte FILE_RAW_ETAG = 2;
    private static final int HEX_ETAG_CHARS = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final String dirPath;
    private final ToLongFunction<Inode> fileIds;
    private final ByteBuffer blob;
    private final IntBuffer offsets;
    private final LongBuffer values;
    private final LongBuffer mtimes;
    private final int count;
    private final long verifier;
    private final long heapBytes;

    /** Arrays as laid out above, already sorted and without duplicate names; taken as they are, not copied. */
    PackedEntries(String dirPath, ToLongFunction<Inode> fileIds, byte[] blob, int[] offsets, long[] values,
                  long[] mtimes) {
        this(dirPath, fileIds, ByteBuffer.wrap(blob), IntBuffer.wrap(offsets), LongBuffer.wrap(values),
                LongBuffer.wrap(mtimes), null,
                96L + 16 + blob.length + 16 + 4L * offsets.length + 16 + 8L * values.length + 16 + 8L * mtimes.length);
    }

    private PackedEntries(String dirPath, ToLongFunction<Inode> fileIds, ByteBuffer blob, IntBuffer offsets,
                          LongBuffer values, LongBuffer mtimes, @Nullable Long verifier, long heapBytes) {
        this.dirPath = requireNonNull(dirPath, "dirPath is null");
        this.fileIds = requireNonNull(fileIds, "fileIds is null");
        this.blob = requireNonNull(blob, "blob is null");
        this.offsets = requireNonNull(offsets, "offsets is null");
        this.values = requireNonNull(values, "values is null");
        this.mtimes = requireNonNull(mtimes, "mtimes is null");
        this.count = values.capacity();
        if (offsets.capacity() != count + 1 || mtimes.capacity() != count) {
            throw new IllegalArgumentException("offsets, values and mtimes do not describe the same entries");
        }
        this.heapBytes = heapBytes;
        this.verifier = verifier != null ? verifier : computeVerifier();
    }

    /** What reading a region back needs besides its bytes: the directory, file ids, entries and verifier. */
    record Shape(String dirPath, ToLongFunction<Inode> fileIds, int count, long verifier) {
        /**
         * The entries read in place from {@code region}, where {@link #writeRegion} wrote them: nothing per entry
         * is on the heap.
         *
         * @param region exactly the region's bytes (position 0, limit {@link #regionBytes})
         */
        PackedEntries open(ByteBuffer region) {
            ByteBuffer r = region.duplicate().order(ORDER);
            int mtimesAt = 8 * count;
            int offsetsAt = mtimesAt + 8 * count;
            int blobAt = offsetsAt + 4 * (count + 1);
            if (blobAt > r.limit()) {
                throw new IllegalArgumentException("a region of " + r.limit() + " bytes for " + count + " entries");
            }
            return new PackedEntries(dirPath, fileIds, r.slice(blobAt, r.limit() - blobAt),
                    r.slice(offsetsAt, 4 * (count + 1)).order(ORDER).asIntBuffer(),
                    r.slice(0, 8 * count).order(ORDER).asLongBuffer(),
                    r.slice(mtimesAt, 8 * count).order(ORDER).asLongBuffer(), verifier, 256);
        }
    }

    Shape shape() {
        return new Shape(dirPath, fileIds, count, verifier);
    }

    /** Whether {@code other} holds the same entries, byte for byte (and so would show the same attributes). */
    boolean sameEntries(PackedEntries other) {
        if (other.count != count || other.verifier != verifier || !other.dirPath.equals(dirPath)) {
            return false;
        }
        int length = offsets.get(count);
        if (other.offsets.get(count) != length) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (values.get(i) != other.values.get(i) || mtimes.get(i) != other.mtimes.get(i)
                    || offsets.get(i) != other.offsets.get(i)) {
                return false;
            }
        }
        for (int at = 0; at < length; at++) {
            if (blob.get(at) != other.blob.get(at)) {
                return false;
            }
        }
        return true;
    }

    /** The bytes {@link #writeRegion} writes. */
    long regionBytes() {
        return 20L * count + 4 + offsets.get(count);
    }

    /** Writes the entries as one region (layout above) through {@code scratch}, a buffer of at least 8 bytes. */
    void writeRegion(WritableByteChannel out, ByteBuffer scratch) throws IOException {
        scratch.clear().order(ORDER);
        for (LongBuffer column : new LongBuffer[] {values, mtimes}) {
            for (int i = 0; i < count; i++) {
                if (scratch.remaining() < 8) {
                    drain(out, scratch);
                }
                scratch.putLong(column.get(i));
            }
        }
        for (int i = 0; i <= count; i++) {
            if (scratch.remaining() < 4) {
                drain(out, scratch);
            }
            scratch.putInt(offsets.get(i));
        }
        int length = offsets.get(count);
        for (int at = 0; at < length; ) {
            if (!scratch.hasRemaining()) {
                drain(out, scratch);
            }
            int n = Math.min(scratch.remaining(), length - at);
            scratch.put(scratch.position(), blob, at, n).position(scratch.position() + n);
            at += n;
        }
        drain(out, scratch);
    }

    private static void drain(WritableByteChannel out, ByteBuffer scratch) throws IOException {
        scratch.flip();
        while (scratch.hasRemaining()) {
            out.write(scratch);
        }
        scratch.clear();
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public DirEntry get(int i) {
        int at = offsets.get(i);
        int nameLength = blob.get(at) & 0xff;
        String name = string(at + 1, nameLength);
        int kindAt = at + 1 + nameLength;
        byte kind = blob.get(kindAt);
        long nanos = mtimes.get(i);
        Instant mtime = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L),
                Math.floorMod(nanos, 1_000_000_000L));
        String path = dirPath.isEmpty() ? name : dirPath + "/" + name;
        long value = values.get(i);
        if (kind == DIR) {
            Inode inode = new Inode(FileType.DIRECTORY, path);
            return new DirEntry(name, inode, new FileAttributes(FileType.DIRECTORY, ListingBuilder.DIR_SIZE,
                    fileIds.applyAsLong(inode), value, mtime, null));
        }
        String etag = etagAt(kind, kindAt + 1);
        Inode inode = new Inode(FileType.REGULAR, path);
        return new DirEntry(name, inode, new FileAttributes(FileType.REGULAR, value, fileIds.applyAsLong(inode),
                S3FileSystem.changeOf(etag, value), mtime, etag));
    }

    /** The position of the entry named by these UTF-8 bytes, or {@code -(insertion point) - 1}. */
    int indexOf(byte[] name) {
        int lo = 0;
        int hi = count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compareName(offsets.get(mid), name);
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
        int at = offsets.get(i);
        long h = DirListing.FNV_OFFSET;
        for (int j = at + 1, end = at + 1 + (blob.get(at) & 0xff); j < end; j++) {
            h = (h ^ (blob.get(j) & 0xff)) * DirListing.FNV_PRIME;
        }
        return h;
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

    /** Whether the columns are a mapped region rather than heap arrays. */
    boolean mapped() {
        return !blob.hasArray();
    }

    /** The heap these columns take, for cache weights: next to nothing when they are a mapped region. */
    long retainedBytes() {
        return heapBytes;
    }

    private int compareName(int at, byte[] name) {
        int length = blob.get(at) & 0xff;
        int n = Math.min(length, name.length);
        for (int k = 0; k < n; k++) {
            int c = Integer.compare(blob.get(at + 1 + k) & 0xff, name[k] & 0xff);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(length, name.length);
    }

    private String string(int at, int length) {
        byte[] bytes = new byte[length];
        blob.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private long computeVerifier() {
        long h = DirListing.FNV_OFFSET;
        for (int i = 0; i < count; i++) {
            int at = offsets.get(i);
            int end = at + 1 + (blob.get(at) & 0xff);
            for (int j = at + 1; j < end; j++) {
                h = (h ^ (blob.get(j) & 0xff)) * DirListing.FNV_PRIME;
            }
            h = (h ^ (blob.get(end) == DIR ? '/' : '\n')) * DirListing.FNV_PRIME;
        }
        return h == 0 ? 1 : h;
    }

    private String etagAt(byte kind, int at) {
        if (kind == FILE_HEX_ETAG) {
            byte[] hex = new byte[HEX_ETAG_CHARS];
            for (int k = 0; k < HEX_ETAG_CHARS / 2; k++) {
                int b = blob.get(at + k) & 0xff;
                hex[2 * k] = HEX[b >>> 4];
                hex[2 * k + 1] = HEX[b & 0xf];
            }
            return new String(hex, StandardCharsets.US_ASCII);
        }
        int length = (blob.get(at) & 0xff) << 8 | blob.get(at + 1) & 0xff;
        return string(at + 2, length);
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

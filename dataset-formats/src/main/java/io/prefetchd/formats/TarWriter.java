package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streams a POSIX ustar archive of regular files, the format WebDataset shards use and {@link TarScanner} reads.
 *
 * <p>Layout (POSIX.1-1988 ustar): each member is a 512-byte header block followed by its data padded with zeros
 * to a multiple of 512 bytes; the archive ends with two all-zero blocks. Numeric header fields are zero-padded
 * octal terminated by NUL; the checksum is the unsigned sum of all 512 header bytes with the checksum field
 * itself counted as eight spaces, stored as six octal digits, NUL, space. The archive is not padded to a 10 KiB
 * record (GNU tar's default blocking factor); readers do not need that.
 *
 * <p>Regular files only, mode 0644, owner root, one modification time for every member: the output is a pure
 * function of the calls made, so archives are byte-for-byte reproducible. A name longer than 100 bytes is split
 * at a '/' into the 155-byte prefix field and the name field; sizes must be below 8 GiB. Not thread-safe.
 */
public final class TarWriter implements Closeable {
    /** The tar block: headers and padded member data are multiples of it. */
    public static final int BLOCK = 512;
    private static final int NAME_BYTES = 100;
    private static final int PREFIX_BYTES = 155;
    private static final long MAX_OCTAL_11 = 077777777777L;

    private final OutputStream out;
    private final long mtimeEpochSeconds;
    private long position;
    private boolean finished;

    /** @param mtimeEpochSeconds modification time stamped on every member */
    public TarWriter(OutputStream out, long mtimeEpochSeconds) {
        this.out = requireNonNull(out, "out is null");
        if (mtimeEpochSeconds < 0 || mtimeEpochSeconds > MAX_OCTAL_11) {
            throw new IllegalArgumentException("mtime out of ustar range: " + mtimeEpochSeconds);
        }
        this.mtimeEpochSeconds = mtimeEpochSeconds;
    }

    /** Appends a regular file. */
    public TarWriter addFile(String name, byte[] data) throws IOException {
        requireNonNull(name, "name is null");
        requireNonNull(data, "data is null");
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        byte[][] split = splitName(name);
        write(header(split[1], split[0], data.length, '0', mtimeEpochSeconds));
        write(data);
        write(new byte[padding(data.length)]);
        return this;
    }

    /** Bytes written so far, end blocks included once written. */
    public long position() {
        return position;
    }

    /** Writes the two zero end blocks; no member can follow. The stream stays open. */
    public void finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        finished = true;
        write(new byte[2 * BLOCK]);
    }

    /** Finishes the archive if that was not done, and closes the stream. */
    @Override
    public void close() throws IOException {
        try {
            if (!finished) {
                finish();
            }
        } finally {
            out.close();
        }
    }

    /** Zero bytes that follow {@code size} bytes of member data to reach a block boundary. */
    public static int padding(long size) {
        return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    /** A ustar header block for a member of {@code type} ('0' file, '5' folder, 'x' pax ...), checksum set. */
    static byte[] header(byte[] name, byte[] prefix, long size, char type, long mtimeEpochSeconds) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, name.length);        // name[100]
        octal(h, 100, 8, 0644);                               // mode
        octal(h, 108, 8, 0);                                  // uid
        octal(h, 116, 8, 0);                                  // gid
        octal(h, 124, 12, size);                              // size
        octal(h, 136, 12, mtimeEpochSeconds);                 // mtime
        h[156] = (byte) type;                                 // typeflag
        ascii(h, 257, "ustar\0");                             // magic
        ascii(h, 263, "00");                                  // version
        ascii(h, 265, "root");                                // uname[32]
        ascii(h, 297, "root");                                // gname[32]
        octal(h, 329, 8, 0);                                  // devmajor
        octal(h, 337, 8, 0);                                  // devminor
        System.arraycopy(prefix, 0, h, 345, prefix.length);  // prefix[155]
        checksum(h);
        return h;
    }

    /** Sets the checksum field of header block {@code h} from its other bytes. */
    static void checksum(byte[] h) {
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);                                // 6 digits + NUL ...
        h[155] = ' ';                                         // ... + space
    }

    /** {prefix, name}: the name alone when it fits 100 bytes, else cut at the last '/' that makes both fit. */
    private static byte[][] splitName(String name) {
        byte[] whole = name.getBytes(StandardCharsets.UTF_8);
        if (whole.length == 0) {
            throw new IllegalArgumentException("tar member name is empty");
        }
        if (whole.length <= NAME_BYTES) {
            return new byte[][] {new byte[0], whole};
        }
        for (int cut = name.lastIndexOf('/'); cut > 0; cut = name.lastIndexOf('/', cut - 1)) {
            byte[] prefix = name.substring(0, cut).getBytes(StandardCharsets.UTF_8);
            byte[] rest = name.substring(cut + 1).getBytes(StandardCharsets.UTF_8);
            if (prefix.length <= PREFIX_BYTES && rest.length <= NAME_BYTES && rest.length > 0) {
                return new byte[][] {prefix, rest};
            }
        }
        throw new IllegalArgumentException("tar member name does not fit ustar (100 bytes, or a folder prefix of "
                + "at most 155 and a name of at most 100): '" + name + "'");
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        position += b.length;
    }

    /** Writes {@code value} as {@code width - 1} zero-padded octal digits and a NUL. */
    private static void octal(byte[] h, int offset, int width, long value) {
        String digits = Long.toOctalString(value);
        if (value < 0 || digits.length() > width - 1) {
            throw new IllegalArgumentException("value " + value + " does not fit a " + width + "-byte ustar field");
        }
        ascii(h, offset, "0".repeat(width - 1 - digits.length()) + digits);
        h[offset + width - 1] = 0;
    }

    private static void ascii(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }
}

package io.prefetchd.gateway.embedded;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes a POSIX ustar archive of regular files into memory, the format WebDataset shards use.
 *
 * <p>Layout (POSIX.1-1988 ustar, as documented for GNU tar): each member is a 512-byte header
 * block followed by its data padded with zeros to a multiple of 512 bytes; the archive ends with
 * two all-zero blocks. Numeric header fields are zero-padded octal terminated by NUL; the checksum
 * is the unsigned sum of all 512 header bytes with the checksum field itself counted as eight
 * spaces, stored as six octal digits, NUL, space. The archive is not padded to a 10 KiB record
 * (GNU tar's default blocking factor); readers do not need that.
 *
 * <p>Only what the demo data needs: regular files, names of at most 100 bytes (no prefix field,
 * no GNU or pax extensions), sizes below 8 GiB, a fixed owner and mode. Output is a pure function
 * of the calls made, so archives are byte-for-byte reproducible.
 *
 * <p>Not thread-safe; one writer builds one archive.
 */
final class TarWriter {

    static final int BLOCK = 512;
    private static final int MAX_NAME_BYTES = 100;
    private static final long MAX_SIZE = 077777777777L; // 11 octal digits

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final long mtimeEpochSeconds;
    private boolean finished;

    /** @param mtimeEpochSeconds modification time stamped on every member */
    TarWriter(long mtimeEpochSeconds) {
        if (mtimeEpochSeconds < 0 || mtimeEpochSeconds > MAX_SIZE) {
            throw new IllegalArgumentException("mtime out of ustar range: " + mtimeEpochSeconds);
        }
        this.mtimeEpochSeconds = mtimeEpochSeconds;
    }

    /** Appends a regular file with mode 0644. */
    TarWriter addFile(String name, byte[] data) {
        requireNonNull(name, "name is null");
        requireNonNull(data, "data is null");
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length == 0 || nameBytes.length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tar member name must be 1-100 bytes: '" + name + "'");
        }
        out.writeBytes(header(nameBytes, data.length));
        out.writeBytes(data);
        out.writeBytes(new byte[padding(data.length)]);
        return this;
    }

    /** Writes the two zero end blocks and returns the archive; the writer cannot be used after. */
    byte[] finish() {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        finished = true;
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    /** Zero bytes that follow {@code size} bytes of member data to reach a block boundary. */
    static int padding(long size) {
        return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    private byte[] header(byte[] name, long size) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, name.length);      // name[100]
        octal(h, 100, 8, 0644);                             // mode
        octal(h, 108, 8, 0);                                // uid
        octal(h, 116, 8, 0);                                // gid
        octal(h, 124, 12, size);                            // size
        octal(h, 136, 12, mtimeEpochSeconds);               // mtime
        Arrays.fill(h, 148, 156, (byte) ' ');               // chksum, as spaces while summing
        h[156] = '0';                                       // typeflag: regular file
        ascii(h, 257, "ustar\0");                           // magic
        ascii(h, 263, "00");                                // version
        ascii(h, 265, "root");                              // uname[32]
        ascii(h, 297, "root");                              // gname[32]
        octal(h, 329, 8, 0);                                // devmajor
        octal(h, 337, 8, 0);                                // devminor
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);                              // 6 digits + NUL ...
        h[155] = ' ';                                       // ... + space
        return h;
    }

    /** Writes {@code value} as {@code width - 1} zero-padded octal digits and a NUL. */
    private static void octal(byte[] h, int offset, int width, long value) {
        if (value < 0 || value > MAX_SIZE) {
            throw new IllegalArgumentException("value does not fit a ustar field: " + value);
        }
        String digits = Long.toOctalString(value);
        if (digits.length() > width - 1) {
            throw new IllegalArgumentException("value " + value + " needs more than " + (width - 1) + " octal digits");
        }
        String padded = "0".repeat(width - 1 - digits.length()) + digits;
        ascii(h, offset, padded);
        h[offset + width - 1] = 0;
    }

    private static void ascii(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }
}

package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes tar archives for tests, following POSIX.1-2001 (ustar, pax) and GNU tar's long-name extension, so that
 * fixtures can have what neither GNU tar nor {@link TarWriter} (which makes the plain ustar headers here) will
 * write on request: a long name in a pax header next to one in a GNU 'L' entry, global pax headers, base-256
 * sizes, corrupted checksums.
 */
final class TarFixture {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A regular file as {@link TarWriter} writes it (name split into prefix/name when longer than 100 bytes). */
    TarFixture file(String name, byte[] data) {
        try {
            new TarWriter(out, 0).addFile(name, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A regular file whose name goes in a GNU {@code ././@LongLink} 'L' entry, header in GNU format. */
    TarFixture gnuLongName(String name, byte[] data) {
        byte[] n = (name + "\0").getBytes(UTF_8);
        header("././@LongLink", "", n.length, 'L', false, false);
        data(n);
        header(name.substring(0, Math.min(name.length(), 99)), "", data.length, '0', false, false);
        data(data);
        return this;
    }

    /** A regular file preceded by a pax 'x' header with {@code records} (e.g. path, size). */
    TarFixture pax(String headerName, byte[] data, Map<String, String> records) {
        byte[] p = paxRecords(records);
        header("PaxHeaders/" + headerName.substring(0, Math.min(headerName.length(), 80)), "", p.length, 'x',
                true, false);
        data(p);
        header(headerName.substring(0, Math.min(headerName.length(), 99)), "", data.length, '0', true, false);
        data(data);
        return this;
    }

    TarFixture globalPax(Map<String, String> records) {
        byte[] p = paxRecords(records);
        header("GlobalHead.0.0", "", p.length, 'g', true, false);
        data(p);
        return this;
    }

    TarFixture dir(String name) {
        header(name, "", 0, '5', true, false);
        return this;
    }

    /** A regular file whose size field is written in GNU base-256. */
    TarFixture base256(String name, byte[] data) {
        header(name, "", data.length, '0', false, true);
        data(data);
        return this;
    }

    /** Raw bytes, e.g. a damaged header. */
    TarFixture raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** The archive so far, without end-of-archive blocks. */
    byte[] bytesWithoutEnd() {
        return out.toByteArray();
    }

    /** The archive with its two zero blocks. */
    byte[] finish() {
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    static byte[] paxRecords(Map<String, String> records) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : records.entrySet()) {
            String body = " " + e.getKey() + "=" + e.getValue() + "\n";
            int len = body.getBytes(UTF_8).length;
            int total = len + Integer.toString(len).length();
            if (Integer.toString(total).length() != Integer.toString(len).length()) {
                total++;
            }
            b.writeBytes((total + body).getBytes(UTF_8));
        }
        return b.toByteArray();
    }

    private void data(byte[] d) {
        out.writeBytes(d);
        int pad = (int) (TarScanner.padded(d.length) - d.length);
        out.writeBytes(new byte[pad]);
    }

    /**
     * A header block: ustar ({@code posix}) or GNU ("ustar  " magic, no prefix field), with the size in octal or
     * in GNU base-256.
     */
    static byte[] headerBlock(String name, String prefix, long size, char type, boolean posix, boolean base256) {
        byte[] h = TarWriter.header(name.getBytes(UTF_8), prefix.getBytes(UTF_8), base256 ? 0 : size, type, 0);
        if (base256) {
            h[124] = (byte) 0x80;
            Arrays.fill(h, 125, 128, (byte) 0);
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        }
        if (!posix) {
            System.arraycopy("ustar  \0".getBytes(UTF_8), 0, h, 257, 8);
        }
        TarWriter.checksum(h);
        return h;
    }

    private void header(String name, String prefix, long size, char type, boolean posix, boolean base256) {
        out.writeBytes(headerBlock(name, prefix, size, type, posix, base256));
    }
}

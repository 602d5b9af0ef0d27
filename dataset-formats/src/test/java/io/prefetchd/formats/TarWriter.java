package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.Map;

/**
 * Writes tar archives for tests, following POSIX.1-2001 (ustar, pax) and GNU tar's long-name extension, so
 * that fixtures can have what GNU tar will not write on request: a long name in a pax header next to one in a
 * GNU 'L' entry, global pax headers, base-256 sizes, corrupted checksums.
 */
final class TarWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A regular file with a ustar header (name split into prefix/name when longer than 100 bytes). */
    TarWriter file(String name, byte[] data) {
        byte[] n = name.getBytes(UTF_8);
        String prefix = "";
        String rest = name;
        if (n.length > 100) {
            int cut = name.lastIndexOf('/', 155);
            if (cut < 0 || name.substring(cut + 1).getBytes(UTF_8).length > 100) {
                throw new IllegalArgumentException("name does not fit ustar: " + name);
            }
            prefix = name.substring(0, cut);
            rest = name.substring(cut + 1);
        }
        header(rest, prefix, data.length, '0', true, false);
        data(data);
        return this;
    }

    /** A regular file whose name goes in a GNU {@code ././@LongLink} 'L' entry, header in GNU format. */
    TarWriter gnuLongName(String name, byte[] data) {
        byte[] n = (name + "\0").getBytes(UTF_8);
        header("././@LongLink", "", n.length, 'L', false, false);
        data(n);
        header(name.substring(0, Math.min(name.length(), 99)), "", data.length, '0', false, false);
        data(data);
        return this;
    }

    /** A regular file preceded by a pax 'x' header with {@code records} (e.g. path, size). */
    TarWriter pax(String headerName, byte[] data, Map<String, String> records) {
        byte[] p = paxRecords(records);
        header("PaxHeaders/" + headerName.substring(0, Math.min(headerName.length(), 80)), "", p.length, 'x',
                true, false);
        data(p);
        header(headerName.substring(0, Math.min(headerName.length(), 99)), "", data.length, '0', true, false);
        data(data);
        return this;
    }

    TarWriter globalPax(Map<String, String> records) {
        byte[] p = paxRecords(records);
        header("GlobalHead.0.0", "", p.length, 'g', true, false);
        data(p);
        return this;
    }

    TarWriter dir(String name) {
        header(name, "", 0, '5', true, false);
        return this;
    }

    /** A regular file whose size field is written in GNU base-256. */
    TarWriter base256(String name, byte[] data) {
        header(name, "", data.length, '0', false, true);
        data(data);
        return this;
    }

    /** Raw bytes, e.g. a damaged header. */
    TarWriter raw(byte[] b) {
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

    static byte[] headerBlock(String name, String prefix, long size, char type, boolean posix, boolean base256) {
        byte[] h = new byte[512];
        put(h, 0, 100, name.getBytes(UTF_8));
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        if (base256) {
            h[124] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        } else {
            octal(h, 124, 12, size);
        }
        octal(h, 136, 12, 0);
        h[156] = (byte) type;
        if (posix) {
            put(h, 257, 6, "ustar\0".getBytes(UTF_8));
            put(h, 263, 2, "00".getBytes(UTF_8));
            put(h, 345, 155, prefix.getBytes(UTF_8));
        } else {
            put(h, 257, 8, "ustar  \0".getBytes(UTF_8));
        }
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] c = String.format("%06o", sum).getBytes(UTF_8);
        System.arraycopy(c, 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private void header(String name, String prefix, long size, char type, boolean posix, boolean base256) {
        out.writeBytes(headerBlock(name, prefix, size, type, posix, base256));
    }

    private static void put(byte[] h, int off, int len, byte[] v) {
        if (v.length > len) {
            throw new IllegalArgumentException("field too long");
        }
        System.arraycopy(v, 0, h, off, v.length);
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        String padded = "0".repeat(len - 1 - s.length()) + s;
        put(h, off, len, (padded + "\0").getBytes(UTF_8));
    }
}

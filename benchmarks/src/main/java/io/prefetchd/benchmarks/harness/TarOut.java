package io.prefetchd.benchmarks.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streams a POSIX ustar archive of regular files (the WebDataset shard format) to an output stream: per member a
 * 512-byte header (octal fields, checksum = byte sum with the checksum field as spaces) and the data padded to 512;
 * two zero blocks at the end. Names up to 100 bytes, fixed mode, owner and mtime, so shards are reproducible.
 * Not thread-safe.
 */
final class TarOut implements AutoCloseable {
    private static final int BLOCK = 512;
    private final OutputStream out;
    private long position;

    TarOut(OutputStream out) {
        this.out = out;
    }

    /** Bytes written so far. */
    long position() {
        return position;
    }

    void add(String name, byte[] data) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length == 0 || n.length > 100) {
            throw new IllegalArgumentException("tar member name must be 1-100 bytes: " + name);
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, data.length);
        octal(h, 136, 12, 1_700_000_000L);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        ascii(h, 257, "ustar\0");
        ascii(h, 263, "00");
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        h[155] = ' ';
        out.write(h);
        out.write(data);
        int pad = (BLOCK - data.length % BLOCK) % BLOCK;
        out.write(new byte[pad]);
        position += BLOCK + data.length + pad;
    }

    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        position += 2 * BLOCK;
        out.close();
    }

    private static void octal(byte[] h, int off, int width, long v) {
        String d = Long.toOctalString(v);
        ascii(h, off, "0".repeat(width - 1 - d.length()) + d);
        h[off + width - 1] = 0;
    }

    private static void ascii(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}

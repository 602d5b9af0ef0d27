package io.prefetchd.gateway.nfs.xdr;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Encodes XDR (RFC 4506) into a growable byte array. Not thread-safe: one writer per reply. */
public final class XdrWriter {
    private byte[] buf;
    private int pos;

    public XdrWriter() {
        this(512);
    }

    public XdrWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    /** Makes room for {@code n} more bytes at once (a large READ reply), instead of growing step by step. */
    public XdrWriter reserve(int n) {
        ensure(n);
        return this;
    }

    public XdrWriter writeInt(int v) {
        ensure(4);
        buf[pos] = (byte) (v >>> 24);
        buf[pos + 1] = (byte) (v >>> 16);
        buf[pos + 2] = (byte) (v >>> 8);
        buf[pos + 3] = (byte) v;
        pos += 4;
        return this;
    }

    public XdrWriter writeLong(long v) {
        writeInt((int) (v >>> 32));
        return writeInt((int) v);
    }

    public XdrWriter writeBool(boolean v) {
        return writeInt(v ? 1 : 0);
    }

    public XdrWriter writeFixedOpaque(byte[] b) {
        return writeFixedOpaque(b, 0, b.length);
    }

    public XdrWriter writeFixedOpaque(byte[] b, int off, int len) {
        int padded = XdrReader.padded(len);
        ensure(padded);
        System.arraycopy(b, off, buf, pos, len);
        Arrays.fill(buf, pos + len, pos + padded, (byte) 0);
        pos += padded;
        return this;
    }

    public XdrWriter writeOpaque(byte[] b) {
        return writeOpaque(b, 0, b.length);
    }

    public XdrWriter writeOpaque(byte[] b, int off, int len) {
        writeInt(len);
        return writeFixedOpaque(b, off, len);
    }

    public XdrWriter writeUtf8(String s) {
        return writeOpaque(s.getBytes(StandardCharsets.UTF_8));
    }

    public XdrWriter writeIntArray(int[] values) {
        writeInt(values.length);
        for (int v : values) {
            writeInt(v);
        }
        return this;
    }

    /** Position for a value to be filled in later with {@link #patchInt}. */
    public int position() {
        return pos;
    }

    public void patchInt(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    /** Drops everything written after {@code position}. */
    public void truncate(int position) {
        pos = position;
    }

    public int size() {
        return pos;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    /** The internal buffer; valid up to {@link #size()}. */
    public byte[] buffer() {
        return buf;
    }
}

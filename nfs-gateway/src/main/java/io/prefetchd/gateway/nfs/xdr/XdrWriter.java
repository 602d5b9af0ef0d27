package io.prefetchd.gateway.nfs.xdr;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes XDR (RFC 4506) into a growable byte array. Large opaque data (READ payloads) can be attached by
 * reference with {@link #writeOpaqueShared}: it is not copied into the array but spliced in when the reply is
 * sent ({@link #writeTo}) or flattened ({@link #toByteArray}), saving two copies of every READ. Positions
 * ({@link #position}, {@link #patchInt}, {@link #truncate}) count the array's bytes only. Not thread-safe: one
 * writer per reply.
 */
public final class XdrWriter {
    private byte[] buf;
    private int pos;
    /** Shared payloads, each spliced in at {@code at} (a position in {@link #buf}), padding included. */
    private final List<Splice> splices = new ArrayList<>(1);
    private int splicedBytes;

    private record Splice(int at, byte[] data, int padding) {}

    /** Where bytes go when a reply is sent: each call is XDR fixed-length opaque data (padded to 4 bytes). */
    public interface Sink {
        void write(byte[] bytes, int offset, int length);
    }

    /**
     * Where bytes go when a reply is sent by a transport that can send a shared payload by reference: the writer's
     * own bytes as they are, and each shared payload whole, as variable-length opaque data (length, bytes, padding).
     */
    public interface Target {
        /** XDR words of the writer's own array; {@code length} is a multiple of 4. */
        void words(byte[] bytes, int offset, int length);

        /**
         * A payload added with {@link #writeOpaqueShared}, to be sent as its length, its bytes and padding.
         *
         * @param last whether nothing follows it in the message
         */
        void opaque(byte[] data, boolean last);
    }

    public XdrWriter() {
        this(512);
    }

    public XdrWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    /**
     * A writer holding {@code xdr} as what was written so far, without copying it: for bytes that are already XDR
     * (a cached reply sent again). {@code xdr} must not change until the writer is done with.
     *
     * @throws IllegalArgumentException when {@code xdr} is not a whole number of XDR words
     */
    public static XdrWriter of(byte[] xdr) {
        if ((xdr.length & 3) != 0) {
            throw new IllegalArgumentException(xdr.length + " bytes are not a whole number of XDR words");
        }
        return new XdrWriter(xdr);
    }

    private XdrWriter(byte[] xdr) {
        buf = xdr;
        pos = xdr.length;
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
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

    /**
     * Writes variable-length opaque data without copying it: {@code data} must not change until the reply is
     * sent.
     */
    public XdrWriter writeOpaqueShared(byte[] data) {
        writeInt(data.length);
        int padding = XdrReader.padded(data.length) - data.length;
        splices.add(new Splice(pos, data, padding));
        splicedBytes += data.length + padding;
        return this;
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
        while (!splices.isEmpty() && splices.get(splices.size() - 1).at() > position) {
            Splice s = splices.remove(splices.size() - 1);
            splicedBytes -= s.data().length + s.padding();
        }
    }

    /** Bytes written so far, shared payloads included. */
    public int size() {
        return pos + splicedBytes;
    }

    public byte[] toByteArray() {
        if (splices.isEmpty()) {
            return Arrays.copyOf(buf, pos);
        }
        byte[] out = new byte[size()];
        int[] at = {0};
        writeTo((b, off, len) -> {
            System.arraycopy(b, off, out, at[0], len);
            at[0] += XdrReader.padded(len);
        });
        return out;
    }

    /** Sends everything written, shared payloads spliced in place. */
    public void writeTo(Sink sink) {
        int from = 0;
        for (Splice s : splices) {
            sink.write(buf, from, s.at() - from);
            sink.write(s.data(), 0, s.data().length);   // the sink pads it
            from = s.at();
        }
        sink.write(buf, from, pos - from);
    }

    /** Sends everything written, each shared payload by reference, with its length, to {@code target}. */
    public void writeTo(Target target) {
        int from = 0;
        for (int i = 0; i < splices.size(); i++) {
            Splice s = splices.get(i);
            int lengthAt = s.at() - 4;   // writeOpaqueShared wrote the length just before the splice
            if (lengthAt > from) {
                target.words(buf, from, lengthAt - from);
            }
            target.opaque(s.data(), i == splices.size() - 1 && s.at() == pos);
            from = s.at();
        }
        if (pos > from) {
            target.words(buf, from, pos - from);
        }
    }

    /** The internal array (without shared payloads); valid up to {@link #position()}. */
    public byte[] buffer() {
        return buf;
    }
}

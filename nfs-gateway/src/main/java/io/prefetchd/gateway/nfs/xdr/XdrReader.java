package io.prefetchd.gateway.nfs.xdr;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes XDR (RFC 4506) from a byte array.
 *
 * <p>Every variable-length item is checked against the bytes actually left before anything is allocated,
 * so a length field of 2^31 costs nothing: it fails with {@link XdrException} (the RPC layer then answers
 * GARBAGE_ARGS). Counts of array elements are bounded the same way, by the smallest size an element can have.
 *
 * <p>Not thread-safe: one reader per request.
 */
public final class XdrReader {
    private final byte[] buf;
    private int pos;
    private final int limit;

    public XdrReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    public XdrReader(byte[] buf, int offset, int length) {
        this.buf = buf;
        this.pos = offset;
        this.limit = offset + length;
    }

    public int remaining() {
        return limit - pos;
    }

    public int position() {
        return pos;
    }

    private void need(long n, String what) throws XdrException {
        if (n < 0 || n > limit - pos) {
            throw new XdrException("truncated XDR: " + what + " needs " + n + " bytes, " + (limit - pos) + " left");
        }
    }

    public int readInt() throws XdrException {
        need(4, "int");
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    public long readLong() throws XdrException {
        long hi = readInt() & 0xffffffffL;
        long lo = readInt() & 0xffffffffL;
        return (hi << 32) | lo;
    }

    public boolean readBool() throws XdrException {
        int v = readInt();
        if (v != 0 && v != 1) {
            throw new XdrException("bool must be 0 or 1, got " + v);
        }
        return v == 1;
    }

    /** Reads fixed-length opaque data of {@code len} bytes plus padding. */
    public byte[] readFixedOpaque(int len) throws XdrException {
        need(((long) len + 3) & ~3L, "opaque[" + len + "]");
        byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
        pos += padded(len);
        return out;
    }

    /** Reads variable-length opaque data, refusing more than {@code maxLen} bytes. */
    public byte[] readOpaque(int maxLen) throws XdrException {
        int len = readInt();
        if (len < 0 || len > maxLen) {
            throw new XdrException("opaque length " + Integer.toUnsignedString(len) + " exceeds limit " + maxLen);
        }
        return readFixedOpaque(len);
    }

    /**
     * Reads variable-length opaque data, refusing more than {@code maxLen} bytes, as a read-only view of the
     * request's bytes (no copy): valid only while the request is.
     */
    public java.nio.ByteBuffer readOpaqueView(int maxLen) throws XdrException {
        int len = readInt();
        if (len < 0 || len > maxLen) {
            throw new XdrException("opaque length " + Integer.toUnsignedString(len) + " exceeds limit " + maxLen);
        }
        need(((long) len + 3) & ~3L, "opaque[" + len + "]");
        java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(buf, pos, len).slice().asReadOnlyBuffer();
        pos += padded(len);
        return view;
    }

    /** Reads a UTF-8 string of at most {@code maxLen} bytes; malformed UTF-8 is an XDR error. */
    public String readUtf8(int maxLen) throws XdrException {
        byte[] b = readOpaque(maxLen);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new XdrException("string is not valid UTF-8");
        }
    }

    /**
     * Reads an array count, checking that {@code count * minElementBytes} bytes are still there, so a huge
     * count cannot make the caller allocate.
     */
    public int readCount(int minElementBytes, int maxCount) throws XdrException {
        int n = readInt();
        if (n < 0 || n > maxCount) {
            throw new XdrException("array count " + Integer.toUnsignedString(n) + " exceeds limit " + maxCount);
        }
        need((long) n * minElementBytes, "array of " + n);
        return n;
    }

    public int[] readIntArray(int maxCount) throws XdrException {
        int n = readCount(4, maxCount);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = readInt();
        }
        return out;
    }

    static int padded(int len) {
        return (len + 3) & ~3;
    }
}

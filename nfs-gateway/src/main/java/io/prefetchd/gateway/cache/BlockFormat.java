package io.prefetchd.gateway.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The block file format, version 2. All integers big-endian.
 *
 * <pre>
 *  offset  size  field
 *       0     4  magic "PFXB"
 *       4     2  format version (1)
 *       6     2  reserved (0)
 *       8     4  header length H (all header bytes, this table and the CRC below included)
 *      12     4  grain (block size in bytes) of the cache that wrote it
 *      16     8  start: the block holds object bytes [start, start + data length)
 *      24     4  data length
 *      28     4  CRC32C of the data
 *      32     2  bucket length, then the bucket (UTF-8)
 *       .     2  key length, then the key (UTF-8)
 *       .     2  ETag length, then the ETag (UTF-8, no quotes)
 *     H-4     4  CRC32C of header bytes [0, H-4)
 *       H        data
 * </pre>
 *
 * A file is served only if every field matches what the reader expects (the identity, the start, the length
 * its name says), the file is exactly {@code H + data length} bytes and both CRCs match. Version 1 named blocks
 * by index ({@code start = index * grain}, always a whole grain); a cache folder of version 1 is deleted on open.
 */
final class BlockFormat {
    static final int MAGIC = 0x50465842; // "PFXB"
    static final short VERSION = 2;
    private static final int FIXED = 32 + 2 + 2 + 2 + 4;

    private BlockFormat() {
    }

    /** A block file that must not be served; the message says why. */
    static final class CorruptBlockException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptBlockException(String message) {
            super(message);
        }
    }

    static int headerLength(String bucket, ObjectVersion object) {
        return FIXED + utf8(bucket).length + utf8(object.key()).length + utf8(object.etag()).length;
    }

    static byte[] header(String bucket, ObjectVersion object, int grain, long start, byte[] data) {
        byte[] b = utf8(bucket);
        byte[] k = utf8(object.key());
        byte[] e = utf8(object.etag());
        if (b.length > 0xFFFF || k.length > 0xFFFF || e.length > 0xFFFF) {
            throw new IllegalArgumentException("bucket, key or ETag longer than 65535 bytes: " + object.key());
        }
        int length = FIXED + b.length + k.length + e.length;
        ByteBuffer buf = ByteBuffer.allocate(length);
        buf.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putInt(length).putInt(grain).putLong(start)
                .putInt(data.length).putInt(crc(data, 0, data.length));
        buf.putShort((short) b.length).put(b);
        buf.putShort((short) k.length).put(k);
        buf.putShort((short) e.length).put(e);
        buf.putInt(crc(buf.array(), 0, length - 4));
        return buf.array();
    }

    /**
     * Checks a whole block file against what the reader expects.
     *
     * @return the offset of the data in {@code file} (its length is {@code expectedLength})
     * @throws CorruptBlockException naming the first mismatch
     */
    static int verify(byte[] file, String bucket, ObjectVersion object, int grain, long start, int expectedLength)
            throws CorruptBlockException {
        try {
            return check(file, bucket, object, grain, start, expectedLength);
        } catch (RuntimeException e) { // a length field pointing outside the file
            throw new CorruptBlockException("malformed header: " + e);
        }
    }

    private static int check(byte[] file, String bucket, ObjectVersion object, int grain, long start,
            int expectedLength)
            throws CorruptBlockException {
        if (file.length < FIXED) {
            throw new CorruptBlockException("truncated header: " + file.length + " bytes");
        }
        ByteBuffer buf = ByteBuffer.wrap(file);
        if (buf.getInt() != MAGIC) {
            throw new CorruptBlockException("bad magic");
        }
        short version = buf.getShort();
        if (version != VERSION) {
            throw new CorruptBlockException("unknown format version " + version);
        }
        buf.getShort();
        int headerLength = buf.getInt();
        if (headerLength < FIXED || headerLength > file.length) {
            throw new CorruptBlockException("bad header length " + headerLength + " in a " + file.length + "-byte file");
        }
        int storedHeaderCrc = ByteBuffer.wrap(file, headerLength - 4, 4).getInt();
        if (storedHeaderCrc != crc(file, 0, headerLength - 4)) {
            throw new CorruptBlockException("header checksum mismatch");
        }
        int fileGrain = buf.getInt();
        long fileStart = buf.getLong();
        int dataLength = buf.getInt();
        int dataCrc = buf.getInt();
        String fileBucket = string(buf);
        String fileKey = string(buf);
        String fileEtag = string(buf);
        if (buf.position() != headerLength - 4) {
            throw new CorruptBlockException("header fields do not fill the header");
        }
        if (fileGrain != grain || fileStart != start) {
            throw new CorruptBlockException("holds bytes from " + fileStart + " (grain " + fileGrain
                    + "), expected bytes from " + start + " (grain " + grain + ")");
        }
        if (!fileBucket.equals(bucket) || !fileKey.equals(object.key()) || !fileEtag.equals(object.etag())) {
            throw new CorruptBlockException("identity mismatch: holds s3://" + fileBucket + "/" + fileKey
                    + " etag " + fileEtag);
        }
        if (dataLength != expectedLength) {
            throw new CorruptBlockException("data length " + dataLength + ", expected " + expectedLength);
        }
        if ((long) headerLength + dataLength != file.length) {
            throw new CorruptBlockException("file is " + file.length + " bytes, expected "
                    + ((long) headerLength + dataLength) + " (truncated or extended)");
        }
        if (crc(file, headerLength, dataLength) != dataCrc) {
            throw new CorruptBlockException("data checksum mismatch");
        }
        return headerLength;
    }

    private static String string(ByteBuffer buf) throws CorruptBlockException {
        int length = Short.toUnsignedInt(buf.getShort());
        if (length > buf.remaining()) {
            throw new CorruptBlockException("string field runs past the header");
        }
        String s = new String(buf.array(), buf.position(), length, UTF_8);
        buf.position(buf.position() + length);
        return s;
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(UTF_8);
    }
}

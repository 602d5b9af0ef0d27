package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Walks the members of a tar archive in one forward pass over a stream, reading headers and skipping data.
 *
 * <p>Understands POSIX ustar (name + prefix), GNU long names and long link names (type {@code L}/{@code K}
 * entries named {@code ././@LongLink}), pax extended headers (type {@code x} for the next entry, {@code g}
 * for all later ones; {@code path} and {@code size} are honoured), base-256 sizes, and pre-POSIX (v7)
 * headers. Archives end at the first all-zero block, or at the end of the object when a writer left the
 * end-of-archive blocks out. Everything else that is wrong is a {@link FormatException} naming the object
 * and the byte offset: a short header or short data (truncation), a bad header checksum, a size field that is
 * not a number, a malformed pax record, and GNU sparse members (not supported).
 *
 * <p>Since the object's size is known from the listing, a member whose data would run past the end is
 * reported before any byte of it is skipped. Not thread-safe; one scanner per stream.
 */
final class TarScanner {
    static final int BLOCK = 512;
    /** Long names and pax records are held in memory; a corrupt size must not become a huge allocation. */
    static final int MAX_META_ENTRY = 1 << 20;

    /** One entry that is not metadata for another entry. */
    interface Visitor {
        /**
         * @param name the entry's full name
         * @param type the type flag ({@code '0'} for regular files, {@code '5'} directories, ...)
         * @param start offset of the entry's first header block, extended headers included
         * @param dataStart offset of its data
         * @param size length of its data
         */
        void entry(String name, char type, long start, long dataStart, long size) throws IOException;
    }

    private final String object;
    private final long objectSize;
    private final InputStream in;
    private final byte[] block = new byte[BLOCK];
    private long pos;
    private long metadataBytes;

    TarScanner(String object, long objectSize, InputStream in) {
        this.object = object;
        this.objectSize = objectSize;
        this.in = in;
    }

    /** Bytes of headers, long names and pax records read so far. */
    long metadataBytes() {
        return metadataBytes;
    }

    void scan(Visitor visitor) throws IOException {
        Map<String, String> global = new HashMap<>();
        Map<String, String> local = null;
        String longName = null;
        long entryStart = -1;
        while (true) {
            long headerAt = pos;
            if (headerAt == objectSize) {
                return; // no end-of-archive blocks; everything before was whole
            }
            if (objectSize - headerAt < BLOCK) {
                throw fail(headerAt, "truncated tar: a header needs 512 bytes but the object ends at byte "
                        + objectSize);
            }
            readBlock();
            if (isZero(block)) {
                if (entryStart >= 0) {
                    throw fail(headerAt, "end-of-archive block right after an extended header");
                }
                return;
            }
            checkChecksum(headerAt);
            char type = (char) (block[156] & 0xff);
            long size = parseNumber(124, 12, headerAt, "size");
            boolean posix = startsWith(block, 257, "ustar\0");
            String headerName = posix ? joinPrefix(cString(345, 155), cString(0, 100)) : cString(0, 100);
            if (entryStart < 0) {
                entryStart = headerAt;
            }
            long dataAt = headerAt + BLOCK;
            switch (type) {
                case 'L', 'K', 'x', 'g' -> {
                    byte[] data = readMeta(size, dataAt, type);
                    if (type == 'L') {
                        longName = cString(data, 0, data.length);
                    } else if (type == 'x') {
                        local = parsePax(data, dataAt, local == null ? new HashMap<>() : local);
                    } else if (type == 'g') {
                        parsePax(data, dataAt, global);
                        entryStart = -1; // global headers belong to no entry
                    }
                    continue;
                }
                case 'S' -> throw fail(headerAt, "GNU sparse member '" + headerName + "' is not supported");
                default -> {
                }
            }
            Map<String, String> pax = new HashMap<>(global);
            if (local != null) {
                pax.putAll(local);
            }
            if (pax.keySet().stream().anyMatch(k -> k.startsWith("GNU.sparse."))) {
                throw fail(headerAt, "GNU sparse member '" + headerName + "' (pax) is not supported");
            }
            String name = pax.containsKey("path") ? pax.get("path") : longName != null ? longName : headerName;
            if (pax.containsKey("size")) {
                try {
                    size = Long.parseLong(pax.get("size"));
                } catch (NumberFormatException e) {
                    throw fail(headerAt, "pax size of '" + name + "' is not a number: " + pax.get("size"));
                }
                if (size < 0) {
                    throw fail(headerAt, "pax size of '" + name + "' is negative");
                }
            }
            // like Python's tarfile: links, directories and devices carry no data whatever the size field says
            boolean hasData = type != '1' && type != '2' && type != '3' && type != '4' && type != '5'
                    && type != '6';
            long dataSize = hasData ? size : 0;
            if (dataSize > objectSize - dataAt) {
                throw fail(headerAt, "truncated tar: member '" + name + "' has " + dataSize
                        + " bytes of data from byte " + dataAt + " but the object ends at byte " + objectSize);
            }
            visitor.entry(name, type, entryStart, dataAt, dataSize);
            skip(padded(dataSize));
            entryStart = -1;
            longName = null;
            local = null;
        }
    }

    static long padded(long n) {
        return (n + BLOCK - 1) / BLOCK * BLOCK;
    }

    private byte[] readMeta(long size, long dataAt, char type) throws IOException {
        if (size > MAX_META_ENTRY) {
            throw fail(dataAt - BLOCK, "extended header of type '" + type + "' claims " + size
                    + " bytes (limit " + MAX_META_ENTRY + ")");
        }
        if (padded(size) > objectSize - dataAt) {
            throw fail(dataAt - BLOCK, "truncated tar: extended header of type '" + type + "' has " + size
                    + " bytes from byte " + dataAt + " but the object ends at byte " + objectSize);
        }
        byte[] data = new byte[(int) padded(size)];
        readFully(data);
        metadataBytes += data.length;
        return size == data.length ? data : java.util.Arrays.copyOf(data, (int) size);
    }

    private Map<String, String> parsePax(byte[] data, long dataAt, Map<String, String> into) throws IOException {
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) {
                break; // some writers pad the record area with NULs
            }
            int sp = i;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, i, sp - i, UTF_8));
            } catch (NumberFormatException e) {
                throw fail(dataAt + i, "malformed pax record: length is not a number");
            }
            if (len <= sp - i + 1 || i + len > data.length || data[i + len - 1] != '\n') {
                throw fail(dataAt + i, "malformed pax record: bad length " + len);
            }
            String kv = new String(data, sp + 1, i + len - 1 - (sp + 1), UTF_8);
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw fail(dataAt + i, "malformed pax record: no key=value");
            }
            String value = kv.substring(eq + 1);
            if (value.isEmpty()) {
                into.remove(kv.substring(0, eq)); // an empty value deletes the keyword
            } else {
                into.put(kv.substring(0, eq), value);
            }
            i += len;
        }
        return into;
    }

    private void checkChecksum(long headerAt) throws IOException {
        long stored = parseNumber(148, 8, headerAt, "checksum");
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : block[i];
            unsigned += b & 0xff;
            signed += b;
        }
        if (stored != unsigned && stored != signed) {
            throw fail(headerAt, "bad tar header checksum (stored " + stored + ", computed " + unsigned + ")");
        }
    }

    private long parseNumber(int off, int len, long headerAt, String field) throws IOException {
        if ((block[off] & 0x80) != 0) { // GNU base-256
            if ((block[off] & 0x40) != 0) {
                throw fail(headerAt, "negative base-256 " + field + " field");
            }
            long v = block[off] & 0x3f;
            for (int i = 1; i < len; i++) {
                if (v > (Long.MAX_VALUE >> 8)) {
                    throw fail(headerAt, field + " field overflows");
                }
                v = (v << 8) | (block[off + i] & 0xff);
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && (block[i] == ' ' || block[i] == 0)) {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && block[i] >= '0' && block[i] <= '7') {
            v = v * 8 + (block[i] - '0');
            i++;
            digits++;
        }
        while (i < end && (block[i] == ' ' || block[i] == 0)) {
            i++;
        }
        if (i != end || (digits == 0 && !field.equals("size"))) {
            throw fail(headerAt, "tar header " + field + " field is not an octal number");
        }
        return v;
    }

    private String cString(int off, int len) {
        return cString(block, off, len);
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, UTF_8);
    }

    private static String joinPrefix(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static boolean startsWith(byte[] b, int off, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (b[off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private void readBlock() throws IOException {
        readFully(block);
        metadataBytes += BLOCK;
    }

    private void readFully(byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                throw fail(pos, "truncated tar: the stream ended at byte " + pos + " before the listed size "
                        + objectSize, new EOFException());
            }
            off += n;
            pos += n;
        }
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    if (pos == objectSize) {
                        return; // the last member's padding may be cut off with the end-of-archive blocks
                    }
                    throw fail(pos, "truncated tar: the stream ended at byte " + pos + " before the listed size "
                            + objectSize, new EOFException());
                }
                s = 1;
            }
            left -= s;
            pos += s;
        }
    }

    private FormatException fail(long at, String problem) {
        return new FormatException(object, at, problem);
    }

    private FormatException fail(long at, String problem, Throwable cause) {
        return new FormatException(object, at, problem, cause);
    }
}

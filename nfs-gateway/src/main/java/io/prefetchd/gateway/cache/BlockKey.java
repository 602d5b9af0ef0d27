package io.prefetchd.gateway.cache;

import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Names one cached block: the first 128 bits of sha256(bucket, key, ETag), and the object bytes the block holds,
 * {@code [start, start + length)}. Two versions of an object never share a name. Blocks of one object never
 * overlap while cached. The full identity is in each block file's header and checked on every read, so a hash
 * collision can cost a re-fetch, never wrong bytes.
 */
record BlockKey(long idHigh, long idLow, long start, int length) {
    private static final HexFormat HEX = HexFormat.of();

    BlockKey {
        if (start < 0 || length <= 0) {
            throw new IllegalArgumentException("block [" + start + ", +" + length + ")");
        }
    }

    /** The byte after the block. */
    long end() {
        return start + length;
    }

    /** The object part of the name, 32 lowercase hex digits. */
    String objectHex() {
        return HEX.toHexDigits(idHigh) + HEX.toHexDigits(idLow); // on every block read and write: no Formatter
    }

    /** {@code <32 hex>-<start>-<length>.blk} */
    String fileName() {
        return objectHex() + "-" + start + "-" + length + BlockFiles.BLOCK_SUFFIX;
    }

    /** Parses {@link #fileName()}; null when {@code name} is not one. */
    static @Nullable BlockKey parse(String name) {
        if (!name.endsWith(BlockFiles.BLOCK_SUFFIX) || name.length() < 32 + 4 + BlockFiles.BLOCK_SUFFIX.length()
                || name.charAt(32) != '-') {
            return null;
        }
        String hex = name.substring(0, 32);
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return null;
            }
        }
        String range = name.substring(33, name.length() - BlockFiles.BLOCK_SUFFIX.length());
        int dash = range.indexOf('-');
        if (dash < 0) {
            return null;
        }
        long start = decimal(range.substring(0, dash), 18);
        long length = decimal(range.substring(dash + 1), 9);
        if (start < 0 || length <= 0) {
            return null;
        }
        return new BlockKey(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16), start, (int) length);
    }

    /** The value of 1 to {@code maxDigits} ASCII digits, or -1. */
    private static long decimal(String s, int maxDigits) {
        if (s.isEmpty() || s.length() > maxDigits) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }
}

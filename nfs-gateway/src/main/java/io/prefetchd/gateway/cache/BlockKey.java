package io.prefetchd.gateway.cache;

/**
 * Names one cached block: the first 128 bits of sha256(bucket, key, ETag) and the block's index
 * ({@code offset / grain}). Two versions of an object never share a key. The full identity is in each
 * block file's header and checked on every read, so a hash collision can cost a re-fetch, never wrong bytes.
 */
record BlockKey(long idHigh, long idLow, long index) {

    /** The object part of the name, 32 lowercase hex digits. */
    String objectHex() {
        return String.format("%016x%016x", idHigh, idLow);
    }

    /** {@code <32 hex>-<index>.blk} */
    String fileName() {
        return objectHex() + "-" + index + BlockFiles.BLOCK_SUFFIX;
    }

    /** Parses {@link #fileName()}; null when {@code name} is not one. */
    static BlockKey parse(String name) {
        if (!name.endsWith(BlockFiles.BLOCK_SUFFIX) || name.length() < 32 + 1 + 1 + BlockFiles.BLOCK_SUFFIX.length()
                || name.charAt(32) != '-') {
            return null;
        }
        String hex = name.substring(0, 32);
        String index = name.substring(33, name.length() - BlockFiles.BLOCK_SUFFIX.length());
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return null;
            }
        }
        for (int i = 0; i < index.length(); i++) {
            if (!Character.isDigit(index.charAt(i)) || index.length() > 18) {
                return null;
            }
        }
        return new BlockKey(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16), Long.parseLong(index));
    }
}

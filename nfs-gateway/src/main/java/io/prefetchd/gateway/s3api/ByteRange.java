package io.prefetchd.gateway.s3api;

import software.amazon.awssdk.services.s3.model.S3Exception;
import org.jspecify.annotations.Nullable;
import static java.util.Objects.requireNonNull;

/**
 * The bytes {@code [first, first + length)} a GET serves of an object of {@code size} bytes, from its {@code Range}
 * header (RFC 9110 section 14.1.2, one range; S3 serves no multipart byte ranges).
 *
 * <p>{@code bytes=a-b} is clipped to the object's end; {@code bytes=a-} runs to the end; {@code bytes=-n} is the
 * last {@code n} bytes (all of a shorter object). A range starting at or after the end, or a suffix of 0 bytes, is
 * not satisfiable: InvalidRange (416). A header that is not one well-formed byte range is ignored (the whole object
 * is served, as RFC 9110 asks and S3 does).
 */
record ByteRange(long first, long length, boolean partial) {

    /** The last byte served (for Content-Range); {@code first - 1} when nothing is. */
    long last() {
        return first + length - 1;
    }

    /** {@code bytes first-last/size}, the Content-Range of a partial answer. */
    String contentRange(long size) {
        return "bytes " + first + "-" + last() + "/" + size;
    }

    static ByteRange whole(long size) {
        return new ByteRange(0, size, false);
    }

    /**
     * @param header the Range header as S3Proxy passed it on, null when absent
     * @throws S3Exception InvalidRange when the range is well-formed but not satisfiable
     */
    static ByteRange of(String header, long size) {
        if (header == null) {
            return whole(size);
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
            return whole(size);
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return whole(size);
        }
        Long a = number(spec.substring(0, dash).trim());
        Long b = number(spec.substring(dash + 1).trim());
        if (a == null && b == null || a != null && a < 0 || b != null && b < 0 || a != null && b != null && a > b) {
            return whole(size);
        }
        if (a == null) {   // suffix: the last b bytes
            long suffix = requireNonNull(b, "b is set when a is not (checked above)");
            if (suffix == 0 || size == 0) {
                throw S3Errors.invalidRange(size);
            }
            long n = Math.min(suffix, size);
            return new ByteRange(size - n, n, true);
        }
        if (a >= size) {
            throw S3Errors.invalidRange(size);
        }
        long last = b == null ? size - 1 : Math.min(b, size - 1);
        return new ByteRange(a, last - a + 1, true);
    }

    /** The decimal number, or null when empty; -1 when it is not a number (a malformed range). */
    private static @Nullable Long number(String s) {
        if (s.isEmpty()) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1L;
            }
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1L;   // more digits than a long holds
        }
    }
}

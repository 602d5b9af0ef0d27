package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FileAttributes;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/**
 * The conditional headers of a GET, and of the source of a copy (RFC 9110 section 13.2.2, in its order, as S3 evaluates them): If-Match, else
 * If-Unmodified-Since (412 PreconditionFailed when false); then If-None-Match, else If-Modified-Since (304 Not
 * Modified when false). Entity tags compare strongly after removing quotes and a weak prefix; {@code *} matches any
 * object; a list of tags matches when one does. Times compare at the one-second resolution of HTTP dates.
 */
final class Preconditions {
    private Preconditions() {
    }

    /** @throws S3Exception PreconditionFailed or NotModified when a condition is false */
    static void check(FileAttributes object, String ifMatch, Instant ifUnmodifiedSince, String ifNoneMatch,
                      Instant ifModifiedSince) {
        Instant modified = object.mtime().truncatedTo(ChronoUnit.SECONDS);
        if (ifMatch != null) {
            if (!matches(ifMatch, object.etag())) {
                throw S3Errors.preconditionFailed("If-Match");
            }
        } else if (ifUnmodifiedSince != null && modified.isAfter(ifUnmodifiedSince)) {
            throw S3Errors.preconditionFailed("If-Unmodified-Since");
        }
        if (ifNoneMatch != null) {
            if (matches(ifNoneMatch, object.etag())) {
                throw S3Errors.notModified();
            }
        } else if (ifModifiedSince != null && !modified.isAfter(ifModifiedSince)) {
            throw S3Errors.notModified();
        }
    }

    /**
     * The {@code x-amz-copy-source-if-*} headers of a copy: the same conditions, but every false one is 412
     * PreconditionFailed, as S3 answers (a copy has no 304).
     */
    static void checkCopySource(FileAttributes source, String ifMatch, Instant ifUnmodifiedSince, String ifNoneMatch,
                                Instant ifModifiedSince) {
        try {
            check(source, ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince);
        } catch (S3Exception e) {
            if (e.statusCode() == 304) {
                throw S3Errors.preconditionFailed(ifNoneMatch != null ? "x-amz-copy-source-if-none-match"
                        : "x-amz-copy-source-if-modified-since");
            }
            throw e;
        }
    }

    /** Whether the header's list of entity tags names {@code etag} (unquoted). */
    static boolean matches(String header, @Nullable String etag) {
        for (String tag : header.split(",")) {
            String t = tag.trim();
            if (t.equals("*")) {
                return true;
            }
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
                t = t.substring(1, t.length() - 1);
            }
            if (t.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}

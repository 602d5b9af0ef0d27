package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Owner;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * What a written object's user metadata says of the file it becomes. The names are s3fs's, which rclone and the
 * gateway's own uploads share: {@code mode} (decimal {@code st_mode}), {@code uid}, {@code gid} and {@code mtime}
 * (seconds since the epoch, with a fraction from rclone). An object that names all of mode, uid and gid is owned as
 * they say; else by the export's default owner. {@code mtime} is the file's mtime when it parses, else the time of
 * the write. Names S3Proxy keeps for itself ({@code s3proxy_*}, the flexible checksum it checked) are not stored.
 *
 * @param owner the owner, or null for the export's default
 * @param mtime the file's mtime
 * @param userMetadata what to store as {@code x-amz-meta-*}, names lower case
 */
record ObjectOwnership(@Nullable Owner owner, Instant mtime, Map<String, String> userMetadata) {
    ObjectOwnership {
        requireNonNull(mtime, "mtime is null");
        userMetadata = Map.copyOf(requireNonNull(userMetadata, "userMetadata is null"));
    }

    static ObjectOwnership of(Map<String, String> metadata, Instant now) {
        Map<String, String> kept = new LinkedHashMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> {
                String name = k.toLowerCase(Locale.ROOT);
                if (!name.startsWith("s3proxy_")) {
                    kept.put(name, v);
                }
            });
        }
        Integer mode = integer(kept.get("mode"));
        Integer uid = integer(kept.get("uid"));
        Integer gid = integer(kept.get("gid"));
        Owner owner = mode != null && uid != null && gid != null && uid >= 0 && gid >= 0
                ? new Owner(uid, gid, mode & 07777) : null;
        return new ObjectOwnership(owner, seconds(kept.get("mtime"), now), kept);
    }

    /** The metadata a copy of a file with attributes {@code a} carries (CopyObject's COPY directive). */
    static Map<String, String> metadataOf(FileAttributes a) {
        Map<String, String> m = new LinkedHashMap<>();
        if (a.owner() != null) {
            m.put("mode", Integer.toString(0100000 | a.owner().mode()));
            m.put("uid", Integer.toString(a.owner().uid()));
            m.put("gid", Integer.toString(a.owner().gid()));
        }
        m.put("mtime", Long.toString(a.mtime().getEpochSecond()));
        return m;
    }

    private static @Nullable Integer integer(@Nullable String s) {
        try {
            return s == null ? null : Integer.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Instant seconds(@Nullable String s, Instant otherwise) {
        if (s == null) {
            return otherwise;
        }
        try {
            java.math.BigDecimal d = new java.math.BigDecimal(s.trim());
            long secs = d.longValue();
            long nanos = d.subtract(java.math.BigDecimal.valueOf(secs)).movePointRight(9).longValue();
            return Instant.ofEpochSecond(secs, nanos);
        } catch (NumberFormatException | ArithmeticException | java.time.DateTimeException e) {
            return otherwise;
        }
    }
}

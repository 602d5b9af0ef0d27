package io.prefetchd.gateway.s3api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The endpoint's multipart uploads: each upload's parts are received into the {@link BodySpool}, kept there as the
 * client sends them (a part sent again replaces the earlier one), and joined in the order the completion names them
 * into one file, which becomes the object. Nothing reaches the file system or S3 before the completion.
 *
 * <p>Uploads live in memory: a restart of the gateway forgets them (and the spool deletes their parts), so a
 * client uploading across it gets NoSuchUpload and starts over, as after an S3 lifecycle rule aborted it. A
 * completed upload is remembered for {@link #REMEMBER_COMPLETED}, so a client whose completion answer was lost
 * gets the same answer again.
 *
 * <p>Thread-safe: every method is synchronized; joining parts, the slow part, happens outside the lock, on parts a
 * completing upload no longer lets change.
 */
final class MultipartUploads {
    /** How long a completed upload answers a repeated completion with its result. */
    static final Duration REMEMBER_COMPLETED = Duration.ofHours(1);

    /** One part as received. */
    record StoredPart(int number, Path file, long size, String md5Hex, Instant lastModified) {
        StoredPart {
            requireNonNull(file, "file is null");
            requireNonNull(md5Hex, "md5Hex is null");
            requireNonNull(lastModified, "lastModified is null");
        }
    }

    /** An upload as a listing shows it. */
    record Info(String id, String key, Instant initiated) {
    }

    private static final class Upload {
        final String id;
        final String key;
        final Instant initiated;
        final Map<String, String> metadata;
        final TreeMap<Integer, StoredPart> parts = new TreeMap<>();
        /** Set once a completion took the parts: no part changes after. */
        boolean completing;
        /** The completed object's ETag, and when it completed; null until then. */
        @Nullable String etag;
        @Nullable Instant completedAt;

        Upload(String id, String key, Instant initiated, Map<String, String> metadata) {
            this.id = id;
            this.key = key;
            this.initiated = initiated;
            this.metadata = metadata;
        }
    }

    private final BodySpool spool;
    private final Clock clock;
    private final SecureRandom ids = new SecureRandom();
    private final Map<String, Upload> uploads = new LinkedHashMap<>();

    MultipartUploads(BodySpool spool, Clock clock) {
        this.spool = requireNonNull(spool, "spool is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Starts an upload of {@code key} whose object will carry {@code metadata}; returns its id. */
    synchronized String initiate(String key, Map<String, String> metadata) {
        requireNonNull(key, "key is null");
        forgetOldCompleted();
        byte[] b = new byte[16];
        ids.nextBytes(b);
        String id = HexFormat.of().formatHex(b);
        uploads.put(id, new Upload(id, key, clock.instant(), Map.copyOf(metadata)));
        return id;
    }

    /** Keeps {@code body} as part {@code number} of the upload, replacing an earlier one with that number. */
    StoredPart putPart(String id, String key, int number, BodySpool.Received body) {
        StoredPart part = new StoredPart(number, body.file(), body.size(), body.md5Hex(), clock.instant());
        StoredPart replaced;
        synchronized (this) {
            Upload u = live(id, key);
            replaced = u.parts.put(number, part);
        }
        if (replaced != null) {
            spool.delete(replaced.file());
        }
        return part;
    }

    /** The upload's parts in number order; those of a completed upload while it is remembered. */
    synchronized List<StoredPart> parts(String id, String key) {
        return new ArrayList<>(find(id, key).parts.values());
    }

    /** The metadata the upload's object carries. */
    synchronized Map<String, String> metadata(String id, String key) {
        return find(id, key).metadata;
    }

    /** The ETag of the object a completed upload made, or null when it did not complete (yet). */
    synchronized @Nullable String completedEtag(String id, String key) {
        return find(id, key).etag;
    }

    /**
     * Joins parts {@code numbers} (ascending, each uploaded) into a new spool file and returns it; from now on the
     * upload takes no parts. InvalidPart when a number was not uploaded.
     */
    Path join(String id, String key, List<Integer> numbers) {
        List<StoredPart> chosen = new ArrayList<>(numbers.size());
        synchronized (this) {
            Upload u = live(id, key);
            for (int n : numbers) {
                StoredPart p = u.parts.get(n);
                if (p == null) {
                    throw S3Errors.invalidPart(n);
                }
                chosen.add(p);
            }
            u.completing = true;
        }
        Path joined = spool.newFile();
        try (OutputStream out = Files.newOutputStream(joined, StandardOpenOption.WRITE)) {
            for (StoredPart p : chosen) {
                try (InputStream in = Files.newInputStream(p.file())) {
                    in.transferTo(out);
                }
            }
        } catch (IOException e) {
            spool.delete(joined);
            synchronized (this) {
                requireNonNull(uploads.get(id), "an upload is kept while it completes").completing = false;
            }
            throw S3Errors.internal("cannot join the parts of upload " + id + ": " + e.getMessage());
        }
        return joined;
    }

    /** The upload made the object {@code etag}: its parts are deleted, its result remembered. */
    void completed(String id, String etag) {
        List<StoredPart> parts;
        synchronized (this) {
            Upload u = uploads.get(id);
            if (u == null) {
                return;
            }
            u.etag = etag;
            u.completedAt = clock.instant();
            parts = new ArrayList<>(u.parts.values());
        }
        parts.forEach(p -> spool.delete(p.file()));
    }

    /** The completion failed: the upload takes parts again and may be completed again. */
    synchronized void completionFailed(String id) {
        Upload u = uploads.get(id);
        if (u != null && u.etag == null) {
            u.completing = false;
        }
    }

    /** Drops the upload and its parts. NoSuchUpload when there is none (or it completed). */
    void abort(String id, String key) {
        Upload u;
        synchronized (this) {
            u = live(id, key);
            uploads.remove(id);
        }
        u.parts.values().forEach(p -> spool.delete(p.file()));
    }

    /** Uploads in progress, oldest first. */
    synchronized List<Info> inProgress() {
        forgetOldCompleted();
        List<Info> all = new ArrayList<>();
        for (Upload u : uploads.values()) {
            if (u.etag == null) {
                all.add(new Info(u.id, u.key, u.initiated));
            }
        }
        return all;
    }

    private Upload find(String id, String key) {
        Upload u = id == null ? null : uploads.get(id);
        if (u == null || !u.key.equals(key)) {
            throw S3Errors.noSuchUpload();
        }
        return u;
    }

    private Upload live(String id, String key) {
        Upload u = find(id, key);
        if (u.etag != null || u.completing) {
            throw u.etag != null ? S3Errors.noSuchUpload() : S3Errors.uploadCompleting();
        }
        return u;
    }

    private void forgetOldCompleted() {
        Instant horizon = clock.instant().minus(REMEMBER_COMPLETED);
        uploads.values().removeIf(u -> u.completedAt != null && u.completedAt.isBefore(horizon));
    }
}

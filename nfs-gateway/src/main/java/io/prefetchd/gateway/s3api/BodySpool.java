package io.prefetchd.gateway.s3api;

import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Request bodies (PUTs, parts of multipart uploads, copies) received into files of one local folder before they go
 * to the file system, each checked against its length and, when the client sent one, its Content-MD5. S3Proxy has
 * already decoded aws-chunked payloads and checked their chunk signatures and flexible checksums
 * ({@code x-amz-checksum-*}); the MD5 is the bucket's to check.
 *
 * <p>The folder is the endpoint's alone: what a previous run left there is deleted when it opens. Thread-safe.
 */
final class BodySpool {
    private static final int BUFFER = 1 << 16;

    /** A body received whole: {@code size} bytes in {@code file}, whose MD5 is {@code md5Hex}. */
    record Received(Path file, long size, String md5Hex) {
        Received {
            requireNonNull(file, "file is null");
            requireNonNull(md5Hex, "md5Hex is null");
        }
    }

    private final Path dir;
    private final AtomicLong next = new AtomicLong();

    /** Opens {@code dir} (creating it), deleting files a previous run left. */
    BodySpool(Path dir) {
        this.dir = requireNonNull(dir, "dir is null");
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> left = Files.newDirectoryStream(dir, "body-*")) {
                for (Path p : left) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the S3 endpoint's folder " + dir, e);
        }
    }

    Path dir() {
        return dir;
    }

    /** A new, empty file of the spool. */
    Path newFile() {
        Path p = dir.resolve("body-" + next.incrementAndGet());
        try {
            Files.deleteIfExists(p);
            Files.createFile(p);
        } catch (IOException e) {
            throw S3Errors.internal("cannot create " + p + ": " + e);
        }
        return p;
    }

    /**
     * Receives {@code body}, which must hold exactly {@code length} bytes (IncompleteBody otherwise) and match
     * {@code contentMd5} (base64, as in the header; null when not sent; BadDigest otherwise). Nothing is left in
     * the spool when it fails.
     */
    Received receive(InputStream body, Long length, String contentMd5) {
        requireNonNull(body, "body is null");
        byte[] expected = null;
        if (contentMd5 != null) {
            try {
                expected = Base64.getDecoder().decode(contentMd5.trim());
            } catch (IllegalArgumentException e) {
                throw S3Errors.invalidDigest();
            }
            if (expected.length != 16) {
                throw S3Errors.invalidDigest();
            }
        }
        Path file = newFile();
        boolean ok = false;
        try {
            MessageDigest md5 = md5();
            long size = 0;
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = body.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    md5.update(buf, 0, n);
                    size += n;
                }
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().contains("No space left")) {
                    throw S3Errors.internal("the gateway's disk is full: " + e.getMessage());
                }
                throw S3Errors.incompleteBody("the body could not be read: " + e.getMessage());
            }
            if (length != null && size != length) {
                throw S3Errors.incompleteBody("the body has " + size + " bytes, Content-Length said " + length);
            }
            byte[] digest = md5.digest();
            if (expected != null && !MessageDigest.isEqual(expected, digest)) {
                throw S3Errors.badDigest();
            }
            ok = true;
            return new Received(file, size, HexFormat.of().formatHex(digest));
        } finally {
            if (!ok) {
                delete(file);
            }
        }
    }

    void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a leftover is deleted at the next start
        }
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has MD5", e);
        }
    }
}

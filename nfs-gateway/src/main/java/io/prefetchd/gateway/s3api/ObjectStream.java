package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.VirtualFileSystem;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * The body of a GET: bytes {@code [first, first + length)} of exactly one version of a file, read from the file
 * system in parts of at most {@code partSize} bytes as the HTTP layer asks for them. Each part is one read of
 * {@link VirtualFileSystem#read} (from the extent cache, reading through to S3 on a miss) and is announced to the
 * {@link ReadObserver} exactly as an NFS READ of the same bytes is, so it is traced and planned the same way.
 *
 * <p>A read failing after the headers went out ends the stream with an IOException, so the connection is cut and
 * the client sees a short body, never bytes of another version. {@link GatewayBlobStore} reads the first part
 * before answering, so that a failure at the start is an S3 error instead.
 *
 * <p>Not thread-safe: one HTTP worker reads one body.
 */
final class ObjectStream extends InputStream {
    private final VirtualFileSystem fs;
    private final ReadObserver observer;
    private final ReadObserver.Reader reader;
    private final Inode file;
    private final FileAttributes version;
    private final int partSize;
    private final S3ApiMetrics metrics;
    private final long end;
    /** Offset in the object of the first byte of {@link #part}. */
    private long partOffset;
    private byte[] part = new byte[0];
    private int pos;
    private boolean closed;

    ObjectStream(VirtualFileSystem fs, ReadObserver observer, ReadObserver.Reader reader, Inode file,
                 FileAttributes version, ByteRange range, int partSize, S3ApiMetrics metrics) {
        this.fs = requireNonNull(fs, "fs is null");
        this.observer = requireNonNull(observer, "observer is null");
        this.reader = requireNonNull(reader, "reader is null");
        this.file = requireNonNull(file, "file is null");
        this.version = requireNonNull(version, "version is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        if (partSize <= 0) {
            throw new IllegalArgumentException("partSize must be positive: " + partSize);
        }
        this.partSize = partSize;
        this.partOffset = range.first();
        this.end = range.first() + range.length();
    }

    /** Reads the first part now; a failure here is the GET's error. */
    void readFirstPart() throws FsException {
        if (partOffset < end) {
            part = readPart(partOffset);
        }
    }

    private byte[] readPart(long offset) throws FsException {
        int count = (int) Math.min(partSize, end - offset);
        observer.beforeRead(reader, file, version, offset, count);
        ReadResult r;
        try {
            r = fs.read(file, version, offset, count);
        } catch (FsException | RuntimeException e) {
            observer.onReadFailed(reader, file, version, offset);
            throw e;
        }
        observer.onRead(reader, file, version, offset, r);
        metrics.partRead(r);
        if (r.data().length != count) {
            // the version pinned says the bytes exist: a short read means the object changed under us
            throw new FsException(FsError.STALE, "object " + file.path()
                    + " is shorter than its attributes say (" + (offset + r.data().length) + " < " + end + ")");
        }
        return r.data();
    }

    /** Makes {@link #part} hold unread bytes; false at the end of the body. */
    private boolean fill() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        while (pos == part.length) {
            long next = partOffset + part.length;
            if (next >= end) {
                return false;
            }
            try {
                part = readPart(next);
            } catch (FsException e) {
                throw new IOException("cannot read " + file.path() + " at " + next + ": " + e, e);
            }
            partOffset = next;
            pos = 0;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        metrics.bytesServed(1);
        return part[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, part.length - pos);
        System.arraycopy(part, pos, b, off, n);
        pos += n;
        metrics.bytesServed(n);
        return n;
    }

    /** Writes each part as a whole: no copy through a small buffer. */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        long sent = 0;
        while (fill()) {
            int n = part.length - pos;
            out.write(part, pos, n);
            pos += n;
            sent += n;
            metrics.bytesServed(n);
        }
        return sent;
    }

    @Override
    public int available() {
        return closed ? 0 : part.length - pos;
    }

    @Override
    public void close() {
        closed = true;
        part = new byte[0];
        pos = 0;
    }
}

package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.Owner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The staging area's write-ahead journal: an append-only file of framed records ({@code int length},
 * {@code int crc32c}, payload), each a namespace change of the staging area. Replay reads records up to the first
 * one that is incomplete or fails its checksum (a crash in the middle of an append) and cuts the file there, so
 * that a record is either whole in the journal or was never acknowledged.
 *
 * <p>Bytes of staged files are not journaled: they live in the staged files, whose length on disk is their size.
 * A record is durable once {@link #force} returns; callers force before they answer the operation that made it.
 * {@link #rewrite} replaces the journal by a snapshot of the live state (compaction), atomically.
 *
 * <p>Thread-safe: appends and forces are serialized on this object.
 */
final class Journal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final int MAX_RECORD = 1 << 20;

    /** One change; see {@link StagingArea} for what each means. */
    sealed interface Record {
    }

    /** A start of the gateway: its ordinal (the write verifier derives from it) and the next staged file id. */
    record Boot(long boots, long nextId) implements Record {
    }

    /**
     * A staged file came to be: created, or an existing object copied into staging to be changed. Its upload is
     * {@code conditional} on {@code baseEtag} (If-Match), or on no object when that is null (If-None-Match).
     */
    record Create(long id, String path, @Nullable Owner owner, Instant mtime, @Nullable String baseEtag,
                  boolean conditional, @Nullable Long verifier) implements Record {
    }

    /** A staged file's owner, mode or mtime changed. */
    record Attrs(long id, @Nullable Owner owner, Instant mtime) implements Record {
    }

    record Rename(long id, String path) implements Record {
    }

    /** An older version of a staged file reached S3 under its name as {@code etag}: the next upload replaces it. */
    record Base(long id, String etag) implements Record {
    }

    /** A staged file is gone: removed, replaced by a rename, or uploaded (then an {@link Known} says as what). */
    record Drop(long id) implements Record {
    }

    /** The attributes of the object (or directory) at {@code path}; {@code attributes} null forgets them. */
    record Known(String path, @Nullable ObjectAttributes attributes) implements Record {
    }

    /** A directory rename began: every key under {@code from} moves under {@code to}. */
    record DirRename(String from, String to) implements Record {
    }

    record DirRenameDone(String from) implements Record {
    }

    /** A multipart upload began for a file still being written: aborted at the next start unless it ended. */
    record Multipart(String key, String uploadId) implements Record {
    }

    /** A multipart upload completed or was aborted. */
    record MultipartDone(String uploadId) implements Record {
    }

    /**
     * Object {@code key} (as {@code etag}) was uploaded for a file renamed or removed meanwhile: deleted at the next
     * start, while it is still that version, unless it was dealt with before.
     */
    record Stray(String key, String etag) implements Record {
    }

    /** The object a {@link Stray} named was deleted, or handed over to what has its name now. */
    record StrayDone(String key) implements Record {
    }

    private final Path file;
    private FileChannel channel;
    private long appendedSinceRewrite;

    private Journal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens (creating) the journal at {@code file}, giving its records to {@code replay} in order. */
    static Journal open(Path file, java.util.function.Consumer<Record> replay) throws IOException {
        requireNonNull(file, "file is null");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long good = 0;
        int records = 0;
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(
                java.nio.channels.Channels.newInputStream(ch.position(0)), 1 << 16))) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                int crc = in.readInt();
                if (length <= 0 || length > MAX_RECORD) {
                    break;
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                CRC32C c = new CRC32C();
                c.update(payload);
                if ((int) c.getValue() != crc) {
                    break;
                }
                replay.accept(decode(payload));
                good += 8 + length;
                records++;
            }
        } catch (EOFException e) {
            // a record cut short by a crash: it was never acknowledged
        }
        // Channels.newInputStream closed the channel with the stream: open it again to append
        ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (ch.size() > good) {
            LOG.warn("staging journal {}: {} bytes after the last whole record (a crash during an append) were cut",
                    file, ch.size() - good);
            ch.truncate(good);
            ch.force(true);
        }
        ch.position(good);
        Journal j = new Journal(file, ch);
        j.appendedSinceRewrite = records;
        return j;
    }

    /** Appends {@code records}; durable once {@link #force} returns. */
    synchronized void append(Record... records) {
        try {
            for (Record r : records) {
                byte[] payload = encode(r);
                CRC32C c = new CRC32C();
                c.update(payload);
                ByteBuffer b = ByteBuffer.allocate(8 + payload.length).putInt(payload.length)
                        .putInt((int) c.getValue()).put(payload).flip();
                while (b.hasRemaining()) {
                    channel.write(b);
                }
                appendedSinceRewrite++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the staging journal " + file, e);
        }
    }

    /** Appends {@code records} and forces the journal to disk. */
    synchronized void appendAndForce(Record... records) {
        append(records);
        force();
    }

    synchronized void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot force the staging journal " + file, e);
        }
    }

    /** Records appended since the journal was last rewritten (or opened): what a compaction would save. */
    synchronized long appendedSinceRewrite() {
        return appendedSinceRewrite;
    }

    /** Replaces the journal by {@code snapshot} atomically (write aside, force, rename, force the folder). */
    synchronized void rewrite(List<Record> snapshot) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (Record r : snapshot) {
                byte[] payload = encode(r);
                CRC32C c = new CRC32C();
                c.update(payload);
                ByteBuffer b = ByteBuffer.allocate(8 + payload.length).putInt(payload.length)
                        .putInt((int) c.getValue()).put(payload).flip();
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(requireNonNull(file.getParent(), "the journal is a file in a directory"));
        channel.close();
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel.position(channel.size());
        appendedSinceRewrite = snapshot.size();
    }

    /** Makes a rename or a new file in {@code dir} durable (fsync of the folder, where the platform allows it). */
    static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some platforms cannot open a folder for fsync; the rename is then as durable as they make it
        }
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("closing the staging journal {}: {}", file, e.getMessage());
        }
    }

    // --- encoding ---

    private static final byte BOOT = 1;
    private static final byte CREATE = 2;
    private static final byte ATTRS = 3;
    private static final byte RENAME = 4;
    private static final byte DROP = 5;
    private static final byte KNOWN = 6;
    private static final byte DIR_RENAME = 7;
    private static final byte DIR_RENAME_DONE = 8;
    private static final byte BASE = 9;
    private static final byte MULTIPART = 10;
    private static final byte MULTIPART_DONE = 11;
    private static final byte STRAY = 12;
    private static final byte STRAY_DONE = 13;

    static byte[] encode(Record r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (r instanceof Boot b) {
                out.writeByte(BOOT);
                out.writeLong(b.boots());
                out.writeLong(b.nextId());
            } else if (r instanceof Create c) {
                out.writeByte(CREATE);
                out.writeLong(c.id());
                out.writeUTF(c.path());
                writeOwner(out, c.owner());
                writeInstant(out, c.mtime());
                writeNullable(out, c.baseEtag());
                out.writeBoolean(c.conditional());
                out.writeBoolean(c.verifier() != null);
                out.writeLong(c.verifier() == null ? 0 : c.verifier());
            } else if (r instanceof Attrs a) {
                out.writeByte(ATTRS);
                out.writeLong(a.id());
                writeOwner(out, a.owner());
                writeInstant(out, a.mtime());
            } else if (r instanceof Rename n) {
                out.writeByte(RENAME);
                out.writeLong(n.id());
                out.writeUTF(n.path());
            } else if (r instanceof Base b) {
                out.writeByte(BASE);
                out.writeLong(b.id());
                out.writeUTF(b.etag());
            } else if (r instanceof Drop d) {
                out.writeByte(DROP);
                out.writeLong(d.id());
            } else if (r instanceof Known k) {
                out.writeByte(KNOWN);
                out.writeUTF(k.path());
                out.writeBoolean(k.attributes() != null);
                if (k.attributes() != null) {
                    writeNullable(out, k.attributes().etag());
                    writeOwner(out, k.attributes().owner());
                    writeInstant(out, k.attributes().mtime());
                }
            } else if (r instanceof DirRename d) {
                out.writeByte(DIR_RENAME);
                out.writeUTF(d.from());
                out.writeUTF(d.to());
            } else if (r instanceof DirRenameDone d) {
                out.writeByte(DIR_RENAME_DONE);
                out.writeUTF(d.from());
            } else if (r instanceof Multipart m) {
                out.writeByte(MULTIPART);
                out.writeUTF(m.key());
                out.writeUTF(m.uploadId());
            } else if (r instanceof MultipartDone m) {
                out.writeByte(MULTIPART_DONE);
                out.writeUTF(m.uploadId());
            } else if (r instanceof Stray t) {
                out.writeByte(STRAY);
                out.writeUTF(t.key());
                out.writeUTF(t.etag());
            } else if (r instanceof StrayDone t) {
                out.writeByte(STRAY_DONE);
                out.writeUTF(t.key());
            } else {
                throw new IllegalArgumentException("unknown record " + r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // writing to memory
        }
        return bytes.toByteArray();
    }

    static Record decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        byte type = in.readByte();
        return switch (type) {
            case BOOT -> new Boot(in.readLong(), in.readLong());
            case CREATE -> {
                long id = in.readLong();
                String path = in.readUTF();
                Owner owner = readOwner(in);
                Instant mtime = readInstant(in);
                String base = readNullable(in);
                boolean conditional = in.readBoolean();
                boolean hasVerifier = in.readBoolean();
                long verifier = in.readLong();
                yield new Create(id, path, owner, mtime, base, conditional, hasVerifier ? verifier : null);
            }
            case ATTRS -> new Attrs(in.readLong(), readOwner(in), readInstant(in));
            case RENAME -> new Rename(in.readLong(), in.readUTF());
            case DROP -> new Drop(in.readLong());
            case BASE -> new Base(in.readLong(), in.readUTF());
            case KNOWN -> {
                String path = in.readUTF();
                yield new Known(path, in.readBoolean()
                        ? new ObjectAttributes(readNullable(in),
                                requireNonNull(readOwner(in), "known attributes always carry an owner"),
                                readInstant(in))
                        : null);
            }
            case DIR_RENAME -> new DirRename(in.readUTF(), in.readUTF());
            case DIR_RENAME_DONE -> new DirRenameDone(in.readUTF());
            case MULTIPART -> new Multipart(in.readUTF(), in.readUTF());
            case MULTIPART_DONE -> new MultipartDone(in.readUTF());
            case STRAY -> new Stray(in.readUTF(), in.readUTF());
            case STRAY_DONE -> new StrayDone(in.readUTF());
            default -> throw new IOException("unknown staging journal record type " + type);
        };
    }

    private static void writeOwner(DataOutputStream out, @Nullable Owner o) throws IOException {
        out.writeBoolean(o != null);
        if (o != null) {
            out.writeInt(o.uid());
            out.writeInt(o.gid());
            out.writeInt(o.mode());
        }
    }

    private static @Nullable Owner readOwner(DataInputStream in) throws IOException {
        return in.readBoolean() ? new Owner(in.readInt(), in.readInt(), in.readInt()) : null;
    }

    private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }

    private static void writeNullable(DataOutputStream out, @Nullable String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static @Nullable String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    /** The records of a snapshot, in an order replay accepts. */
    static List<Record> snapshot(Boot boot, List<? extends Record> rest) {
        List<Record> all = new ArrayList<>(rest.size() + 1);
        all.add(boot);
        all.addAll(rest);
        return all;
    }
}

package io.prefetchd.gateway.cache;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The cache index on disk, so that a restart opens a cache of millions of blocks by reading one file instead of
 * listing millions: a <em>checkpoint</em> (every cached block, written whole) and a <em>journal</em> (the blocks
 * added and removed since, appended as it happens). All integers big-endian.
 *
 * <pre>
 *  checkpoint "index"                              journal "journal"
 *   0  4  magic "PFXI"                               0  4  magic "PFXJ"
 *   4  2  version (1)                                4  2  version (1)
 *   6  2  flags (0)                                  6  2  reserved (0)
 *   8  4  grain                                      8  4  grain
 *  12  4  reserved (0)                              12  4  reserved (0)
 *  16  8  generation                                16  8  generation of the checkpoint it follows
 *  24  8  record count n                            24  4  reserved (0)
 *  32     n records of 32 bytes:                    28  4  CRC32C of bytes [0, 28)
 *          0  8  object id, high 64 bits            32     records of 32 bytes:
 *          8  8  object id, low 64 bits                     0  1  1 = added, 2 = removed
 *         16  8  start &lt;&lt; 18 | (length - 1)                1  1  reserved (0)
 *         24  2  block-file header length                   2  2  block-file header length
 *         26  2  flags: 1 = recently used                   4  8  object id, high
 *         28  4  reserved (0)                              12  8  object id, low
 *  32+32n  4  CRC32C of bytes [0, 32 + 32n)                20  8  start &lt;&lt; 18 | (length - 1)
 *  36+32n  4  magic "PFXE"                                28  4  CRC32C of bytes [0, 28) of the record
 * </pre>
 *
 * <h2>Crash safety</h2>
 * A checkpoint is written to {@code index.tmp}, forced to disk on close, and renamed over {@code index}; a new
 * journal of the new generation then replaces the old one. A journal of another generation than the checkpoint's
 * is ignored (its blocks are in the checkpoint). A checkpoint that is short, long, of another grain or fails its
 * CRC is not used at all: the cache falls back to listing its folders. A journal is replayed up to its first
 * record that is incomplete or fails its CRC (a write torn by a crash); the rest is dropped. None of this can
 * make the cache serve wrong bytes: every block file is verified on every read (identity, length, checksums),
 * so an index entry whose file is gone or torn costs a re-fetch. The worst a lost journal record costs is a
 * block file the index does not know (its disk space is not counted until the next folder listing).
 *
 * <p>Not thread-safe: the cache appends under its lock.
 */
final class IndexFile implements Closeable {
    static final String CHECKPOINT = "index";
    static final String JOURNAL = "journal";
    static final int RECORD = 32;
    static final byte ADDED = 1;
    static final byte REMOVED = 2;
    private static final int CHECKPOINT_MAGIC = 0x50465849; // "PFXI"
    private static final int JOURNAL_MAGIC = 0x5046584A; // "PFXJ"
    private static final int END_MAGIC = 0x50465845; // "PFXE"
    private static final short VERSION = 1;
    private static final int HEADER = 32;
    private static final int BUFFER = 1 << 20;

    /** A checkpoint or journal that must not be used; the message says why. */
    static final class CorruptIndexException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptIndexException(String message) {
            super(message);
        }
    }

    /** Receives the blocks of a loaded index, in checkpoint order, then the journal's changes in order. */
    interface Sink {
        /** Called once before the checkpoint's records with their number, so the receiver can size itself. */
        default void expect(long records) {
        }

        void added(long idHigh, long idLow, long start, int length, int headerBytes, boolean recent)
                throws CorruptIndexException;

        void removed(long idHigh, long idLow, long start, int length) throws CorruptIndexException;
    }

    /**
     * What {@link #load} found.
     *
     * @param generation the checkpoint's generation
     * @param checkpointRecords blocks in the checkpoint
     * @param journalRecords journal records replayed; -1 when there is no journal of this generation (none, one
     *     of an earlier checkpoint, or a torn header): a new one must be started
     * @param tornRecords bytes at the journal's end that were dropped (a torn write), in records, rounded up
     */
    record Loaded(long generation, long checkpointRecords, long journalRecords, long tornRecords) {
    }

    /** Writes the records of a checkpoint. */
    interface Records {
        /** Calls {@code out} once per block, in the order a restart should insert them. */
        void forEach(RecordOut out) throws IOException;
    }

    interface RecordOut {
        void put(long idHigh, long idLow, long start, int length, int headerBytes, boolean recent)
                throws IOException;
    }

    private final Path dir;
    private final FileChannel journal;
    private final ByteBuffer record = ByteBuffer.allocate(RECORD);
    private final CRC32C crc = new CRC32C();
    private final long generation;
    private long appended;

    private IndexFile(Path dir, FileChannel journal, long generation) {
        this.dir = dir;
        this.journal = journal;
        this.generation = generation;
    }

    // ---------------------------------------------------------------- loading

    /**
     * Reads the checkpoint and replays the journal into {@code sink}.
     *
     * @return null when there is no checkpoint
     * @throws CorruptIndexException when the checkpoint cannot be used (the sink may have received some of it)
     */
    static Loaded load(Path dir, int grain, Sink sink) throws IOException, CorruptIndexException {
        long generation;
        long count;
        try (FileChannel in = FileChannel.open(dir.resolve(CHECKPOINT), StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            CRC32C sum = new CRC32C();
            if (size < HEADER + 8) {
                throw new CorruptIndexException("checkpoint of " + size + " bytes is shorter than its header");
            }
            fill(in, buf, HEADER);
            sum.update(buf.duplicate());
            if (buf.getInt() != CHECKPOINT_MAGIC) {
                throw new CorruptIndexException("checkpoint has a bad magic");
            }
            short version = buf.getShort();
            if (version != VERSION) {
                throw new CorruptIndexException("checkpoint version " + version + " is not " + VERSION);
            }
            buf.getShort();
            int fileGrain = buf.getInt();
            if (fileGrain != grain) {
                throw new CorruptIndexException("checkpoint of grain " + fileGrain + ", expected " + grain);
            }
            buf.getInt();
            generation = buf.getLong();
            count = buf.getLong();
            if (count < 0 || size != HEADER + count * RECORD + 8) {
                throw new CorruptIndexException("checkpoint of " + size + " bytes cannot hold " + count
                        + " records (torn or extended)");
            }
            sink.expect(count);
            long left = count;
            while (left > 0) {
                int batch = (int) Math.min(left, BUFFER / RECORD);
                fill(in, buf, batch * RECORD);
                sum.update(buf.duplicate());
                for (int k = 0; k < batch; k++) {
                    long hi = buf.getLong();
                    long lo = buf.getLong();
                    long span = buf.getLong();
                    int header = Short.toUnsignedInt(buf.getShort());
                    int flags = buf.getShort();
                    buf.getInt();
                    sink.added(hi, lo, span >>> 18, (int) (span & (BlockTable.MAX_LENGTH - 1)) + 1, header,
                            (flags & 1) != 0);
                }
                left -= batch;
            }
            fill(in, buf, 8);
            int storedCrc = buf.getInt();
            if (storedCrc != (int) sum.getValue() || buf.getInt() != END_MAGIC) {
                throw new CorruptIndexException("checkpoint checksum mismatch");
            }
        } catch (NoSuchFileException e) {
            return null;
        }
        long[] journal = replay(dir, grain, generation, sink);
        return new Loaded(generation, count, journal[0], journal[1]);
    }

    /** Replays the journal of {@code generation}; returns {records replayed, torn records dropped}. */
    private static long[] replay(Path dir, int grain, long generation, Sink sink)
            throws IOException, CorruptIndexException {
        Path file = dir.resolve(JOURNAL);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            if (size < HEADER) {
                return new long[] {-1, 0};
            }
            fill(in, buf, HEADER);
            CRC32C sum = new CRC32C();
            sum.update(buf.duplicate().limit(28));
            buf.position(HEADER);
            if (buf.getInt(0) != JOURNAL_MAGIC || buf.getShort(4) != VERSION || buf.getInt(8) != grain
                    || buf.getLong(16) != generation || buf.getInt(28) != (int) sum.getValue()) {
                return new long[] {-1, 0}; // another generation's (its blocks are in the checkpoint) or a torn header
            }
            long records = (size - HEADER) / RECORD;
            long replayed = 0;
            long left = records;
            while (left > 0) {
                int batch = (int) Math.min(left, BUFFER / RECORD);
                fill(in, buf, batch * RECORD);
                for (int k = 0; k < batch; k++) {
                    int at = buf.position();
                    sum.reset();
                    sum.update(buf.duplicate().limit(at + 28));
                    byte type = buf.get();
                    buf.get();
                    int header = Short.toUnsignedInt(buf.getShort());
                    long hi = buf.getLong();
                    long lo = buf.getLong();
                    long span = buf.getLong();
                    int stored = buf.getInt();
                    if (stored != (int) sum.getValue() || type != ADDED && type != REMOVED) {
                        long torn = records - replayed + ((size - HEADER) % RECORD == 0 ? 0 : 1);
                        return new long[] {replayed, torn};
                    }
                    long start = span >>> 18;
                    int length = (int) (span & (BlockTable.MAX_LENGTH - 1)) + 1;
                    if (type == ADDED) {
                        sink.added(hi, lo, start, length, header, false);
                    } else {
                        sink.removed(hi, lo, start, length);
                    }
                    replayed++;
                }
                left -= batch;
            }
            return new long[] {replayed, (size - HEADER) % RECORD == 0 ? 0 : 1};
        } catch (NoSuchFileException e) {
            return new long[] {-1, 0};
        }
    }

    private static void fill(FileChannel in, ByteBuffer buf, int bytes) throws IOException, CorruptIndexException {
        buf.clear().limit(bytes);
        while (buf.hasRemaining()) {
            if (in.read(buf) < 0) {
                throw new CorruptIndexException("index file ends early");
            }
        }
        buf.flip();
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes a checkpoint of {@code generation} holding {@code records} (counted first), renames it into place and
     * starts an empty journal after it.
     *
     * @param force whether to force the checkpoint to disk before the rename (at close; a checkpoint taken while
     *     serving skips it, since a torn one only costs a folder listing at the next start)
     */
    static IndexFile checkpoint(Path dir, int grain, long generation, long count, Records records, boolean force)
            throws IOException {
        Path tmp = dir.resolve(CHECKPOINT + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            CRC32C sum = new CRC32C();
            buf.putInt(CHECKPOINT_MAGIC).putShort(VERSION).putShort((short) 0).putInt(grain).putInt(0)
                    .putLong(generation).putLong(count);
            long[] written = {0};
            records.forEach((hi, lo, start, length, header, recent) -> {
                if (buf.remaining() < RECORD) {
                    drain(out, buf, sum);
                }
                buf.putLong(hi).putLong(lo).putLong(start << 18 | (length - 1)).putShort((short) header)
                        .putShort((short) (recent ? 1 : 0)).putInt(0);
                written[0]++;
            });
            if (written[0] != count) {
                throw new IllegalStateException("checkpoint of " + count + " blocks got " + written[0]);
            }
            drain(out, buf, sum);
            buf.putInt((int) sum.getValue()).putInt(END_MAGIC);
            drain(out, buf, sum);
            if (force) {
                out.force(true);
            }
        }
        Files.move(tmp, dir.resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return startJournal(dir, grain, generation);
    }

    private static void drain(FileChannel out, ByteBuffer buf, CRC32C sum) throws IOException {
        buf.flip();
        sum.update(buf.duplicate());
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }

    /** Starts an empty journal after the checkpoint of {@code generation}, replacing any journal. */
    static IndexFile startJournal(Path dir, int grain, long generation) throws IOException {
        Path tmp = dir.resolve(JOURNAL + ".tmp");
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        header.putInt(JOURNAL_MAGIC).putShort(VERSION).putShort((short) 0).putInt(grain).putInt(0)
                .putLong(generation).putInt(0);
        CRC32C sum = new CRC32C();
        sum.update(header.array(), 0, 28);
        header.putInt((int) sum.getValue()).flip();
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (header.hasRemaining()) {
                out.write(header);
            }
        }
        Files.move(tmp, dir.resolve(JOURNAL), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return openJournal(dir, generation, 0);
    }

    /**
     * Appends to the journal that {@link #load} replayed, after cutting off a torn end.
     *
     * @param validRecords the records {@link #load} replayed: the journal is truncated after them
     */
    static IndexFile openJournal(Path dir, long generation, long validRecords) throws IOException {
        FileChannel channel = FileChannel.open(dir.resolve(JOURNAL), StandardOpenOption.WRITE);
        try {
            channel.truncate(HEADER + validRecords * RECORD);
            channel.position(HEADER + validRecords * RECORD);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        IndexFile file = new IndexFile(dir, channel, generation);
        file.appended = validRecords;
        return file;
    }

    /** Deletes checkpoint and journal: the next open lists the folders. */
    static void delete(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(CHECKPOINT));
        Files.deleteIfExists(dir.resolve(JOURNAL));
    }

    long generation() {
        return generation;
    }

    /** Journal records since the checkpoint. */
    long appended() {
        return appended;
    }

    /** Appends one record with one write (a process crash loses none; a power loss may lose the last few). */
    void append(byte type, long idHigh, long idLow, long start, int length, int headerBytes) throws IOException {
        record.clear();
        record.put(type).put((byte) 0).putShort((short) headerBytes).putLong(idHigh).putLong(idLow)
                .putLong(start << 18 | (length - 1));
        crc.reset();
        crc.update(record.array(), 0, 28);
        record.putInt((int) crc.getValue()).flip();
        while (record.hasRemaining()) {
            journal.write(record);
        }
        appended++;
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        journal.close();
    }
}

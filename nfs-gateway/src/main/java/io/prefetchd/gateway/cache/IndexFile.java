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
import org.jspecify.annotations.Nullable;

/**
 * The cache index on disk, so that a restart opens a cache of millions of blocks by reading one file instead of
 * listing millions: a <em>checkpoint</em> (every cached block, written whole) and a <em>journal</em> (the blocks
 * added and removed since, appended as it happens). All integers big-endian.
 *
 * <pre>
 *  checkpoint "index"                              journal "journal" (and "journal.next")
 *   0  4  magic "PFXI"                               0  4  magic "PFXJ"
 *   4  2  version (1)                                4  2  version (1)
 *   6  2  flags: 1 = fuzzy                           6  2  reserved (0)
 *   8  4  grain                                      8  4  grain
 *  12  4  reserved (0)                              12  4  reserved (0)
 *  16  8  generation                                16  8  generation of the checkpoint it follows
 *  24  8  reserved (0)                              24  4  reserved (0)
 *  32     n records of 32 bytes:                    28  4  CRC32C of bytes [0, 28)
 *          0  8  object id, high 64 bits            32     records of 32 bytes:
 *          8  8  object id, low 64 bits                     0  1  1 = added, 2 = removed
 *         16  8  start &lt;&lt; 18 | (length - 1)                1  1  reserved (0)
 *         24  2  block-file header length                   2  2  block-file header length
 *         26  2  flags: 1 = recently used                   4  8  object id, high
 *         28  4  reserved (0)                              12  8  object id, low
 *  32+32n  8  record count n                               20  8  start &lt;&lt; 18 | (length - 1)
 *  40+32n  4  CRC32C of bytes [0, 40 + 32n)                28  4  CRC32C of bytes [0, 28) of the record
 *  44+32n  4  magic "PFXE"
 * </pre>
 *
 * <h2>Checkpoints while serving</h2>
 * A checkpoint taken at close (or after listing the folders) is consistent: written under the cache's lock. One
 * taken while serving is <em>fuzzy</em>: the cache first starts {@code journal.next} (generation g + 1), sends
 * every change there from then on, and copies its table into the checkpoint a slice at a time, releasing its lock
 * between slices, so reads never wait for the whole file. A block that changed while the copy went on may be in
 * the checkpoint in its old state, or twice, or overlap another, but its change is in {@code journal.next}:
 * replaying it makes the index exact (records say what a block is, not what to toggle, so replaying a change the
 * checkpoint already shows does no harm). Once the checkpoint is renamed into place, {@code journal.next} becomes
 * {@code journal}. After a crash: the checkpoint of generation G, then each journal of generation G or G + 1.
 *
 * <h2>Crash safety</h2>
 * A checkpoint is written to a temporary file, forced to disk on close, and renamed over {@code index}; a new
 * journal of the new generation then replaces the old one. A journal of another generation than the checkpoint's
 * (or the next) is ignored (its blocks are in the checkpoint). A checkpoint that is short, long, of another grain
 * or fails its CRC is not used at all: the cache falls back to listing its folders. A journal is replayed up to
 * its first record that is incomplete or fails its CRC (a write torn by a crash); the rest is dropped. None of this can
 * make the cache serve wrong bytes: every block file is verified on every read (identity, length, checksums),
 * so an index entry whose file is gone or torn costs a re-fetch. The worst a lost journal record costs is a
 * block file the index does not know (its disk space is not counted until the next folder listing).
 *
 * <p>Not thread-safe: the cache appends under its lock.
 */
final class IndexFile implements Closeable {
    static final String CHECKPOINT = "index";
    static final String JOURNAL = "journal";
    static final String NEXT_JOURNAL = "journal.next";
    static final int RECORD = 32;
    static final byte ADDED = 1;
    static final byte REMOVED = 2;
    private static final int CHECKPOINT_MAGIC = 0x50465849; // "PFXI"
    private static final int JOURNAL_MAGIC = 0x5046584A; // "PFXJ"
    private static final int END_MAGIC = 0x50465845; // "PFXE"
    private static final short VERSION = 1;
    private static final int HEADER = 32;
    private static final int TRAILER = 16;
    private static final short FUZZY = 1;
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
        /**
         * Called once before the checkpoint's records with their number, so the receiver can size itself, and
         * whether the checkpoint is fuzzy (then its blocks may overlap until the journals are replayed).
         */
        default void expect(long records, boolean fuzzy) {
        }

        /** Called after the checkpoint's records, before the journals'. */
        default void checkpointDone() {
        }

        void added(long idHigh, long idLow, long start, int length, int headerBytes, boolean recent)
                throws CorruptIndexException;

        void removed(long idHigh, long idLow, long start, int length) throws CorruptIndexException;
    }

    /**
     * What {@link #load} found.
     *
     * @param generation the checkpoint's generation
     * @param fuzzy whether the checkpoint was taken while serving (its blocks may overlap until the journals are
     *     replayed)
     * @param checkpointRecords blocks in the checkpoint
     * @param journalRecords journal records replayed
     * @param tornRecords bytes at the journals' ends that were dropped (a torn write), in records, rounded up
     * @param appendAt how to go on: {@link #openJournal} after this many records of {@code journal} when it is the
     *     one journal and has this generation; {@link #NEW_JOURNAL} when there is none to go on with (none, one of an
     *     earlier checkpoint, a torn header) and nothing else was replayed; {@link #NEW_CHECKPOINT} when a
     *     {@code journal.next} was replayed (a checkpoint was being taken): write a checkpoint before going on
     */
    record Loaded(long generation, boolean fuzzy, long checkpointRecords, long journalRecords, long tornRecords,
            long appendAt) {
    }

    static final long NEW_JOURNAL = -1;
    static final long NEW_CHECKPOINT = -2;

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
     * Reads the checkpoint and replays the journals into {@code sink}.
     *
     * @return null when there is no checkpoint
     * @throws CorruptIndexException when the checkpoint cannot be used (the sink may have received some of it)
     */
    static @Nullable Loaded load(Path dir, int grain, Sink sink) throws IOException, CorruptIndexException {
        long generation;
        long count;
        boolean fuzzy;
        try (FileChannel in = FileChannel.open(dir.resolve(CHECKPOINT), StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            CRC32C sum = new CRC32C();
            if (size < HEADER + TRAILER || (size - HEADER - TRAILER) % RECORD != 0) {
                throw new CorruptIndexException("checkpoint of " + size + " bytes is not a header, whole records "
                        + "and a trailer (torn or extended)");
            }
            count = (size - HEADER - TRAILER) / RECORD;
            fill(in, buf, HEADER);
            sum.update(buf.duplicate());
            if (buf.getInt() != CHECKPOINT_MAGIC) {
                throw new CorruptIndexException("checkpoint has a bad magic");
            }
            short version = buf.getShort();
            if (version != VERSION) {
                throw new CorruptIndexException("checkpoint version " + version + " is not " + VERSION);
            }
            fuzzy = (buf.getShort() & FUZZY) != 0;
            int fileGrain = buf.getInt();
            if (fileGrain != grain) {
                throw new CorruptIndexException("checkpoint of grain " + fileGrain + ", expected " + grain);
            }
            buf.getInt();
            generation = buf.getLong();
            sink.expect(count, fuzzy);
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
            fill(in, buf, TRAILER);
            sum.update(buf.duplicate().limit(8));
            long storedCount = buf.getLong();
            int storedCrc = buf.getInt();
            if (storedCount != count || storedCrc != (int) sum.getValue() || buf.getInt() != END_MAGIC) {
                throw new CorruptIndexException("checkpoint checksum mismatch");
            }
        } catch (NoSuchFileException e) {
            return null;
        }
        sink.checkpointDone();
        long[] journal = replay(dir.resolve(JOURNAL), grain, generation, sink);
        long[] next = replay(dir.resolve(NEXT_JOURNAL), grain, generation, sink);
        long appendAt;
        if (next[0] >= 0) {
            appendAt = NEW_CHECKPOINT;
        } else if (journal[0] >= 0 && journal[2] == generation) {
            appendAt = journal[0];
        } else if (journal[0] >= 0) {
            appendAt = NEW_CHECKPOINT; // a journal.next already renamed, its checkpoint not: it follows the next one
        } else {
            appendAt = NEW_JOURNAL;
        }
        return new Loaded(generation, fuzzy, count, Math.max(0, journal[0]) + Math.max(0, next[0]),
                journal[1] + next[1], appendAt);
    }

    /**
     * Replays {@code file} if it follows the checkpoint of {@code generation} or the one after it; returns {records
     * replayed or -1 when it was not replayed, torn records dropped, its generation}.
     */
    private static long[] replay(Path file, int grain, long generation, Sink sink)
            throws IOException, CorruptIndexException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            if (size < HEADER) {
                return new long[] {-1, 0, -1};
            }
            fill(in, buf, HEADER);
            CRC32C sum = new CRC32C();
            sum.update(buf.duplicate().limit(28));
            buf.position(HEADER);
            long fileGeneration = buf.getLong(16);
            if (buf.getInt(0) != JOURNAL_MAGIC || buf.getShort(4) != VERSION || buf.getInt(8) != grain
                    || buf.getInt(28) != (int) sum.getValue()
                    || fileGeneration != generation && fileGeneration != generation + 1) {
                return new long[] {-1, 0, -1}; // an earlier generation's (its blocks are in the checkpoint) or torn
            }
            long records = (size - HEADER) / RECORD;
            long partial = (size - HEADER) % RECORD == 0 ? 0 : 1;
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
                        return new long[] {replayed, records - replayed + partial, fileGeneration};
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
            return new long[] {replayed, partial, fileGeneration};
        } catch (NoSuchFileException e) {
            return new long[] {-1, 0, -1};
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
     * Writes a consistent checkpoint of {@code generation} holding {@code records}, renames it into place and starts
     * an empty journal after it (any {@code journal.next} is deleted).
     *
     * @param force whether to force the checkpoint to disk before the rename (a torn one only costs a folder
     *     listing at the next start, so only the checkpoint at close is forced)
     */
    static IndexFile checkpoint(Path dir, int grain, long generation, Records records, boolean force)
            throws IOException {
        Path tmp = write(dir, CHECKPOINT + ".tmp", grain, generation, false, records, force);
        install(dir, tmp);
        Files.deleteIfExists(dir.resolve(NEXT_JOURNAL));
        return startJournal(dir, JOURNAL, grain, generation);
    }

    /**
     * Writes a checkpoint into the temporary file {@code name} (not yet in place: see {@link #install}).
     *
     * @param fuzzy whether the records were copied while the index changed (see the class comment)
     * @return the file written
     */
    static Path write(Path dir, String name, int grain, long generation, boolean fuzzy, Records records,
            boolean force) throws IOException {
        Path tmp = dir.resolve(name);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            CRC32C sum = new CRC32C();
            buf.putInt(CHECKPOINT_MAGIC).putShort(VERSION).putShort(fuzzy ? FUZZY : 0).putInt(grain).putInt(0)
                    .putLong(generation).putLong(0);
            long[] written = {0};
            records.forEach((hi, lo, start, length, header, recent) -> {
                if (buf.remaining() < RECORD) {
                    drain(out, buf, sum);
                }
                buf.putLong(hi).putLong(lo).putLong(start << 18 | (length - 1)).putShort((short) header)
                        .putShort((short) (recent ? 1 : 0)).putInt(0);
                written[0]++;
            });
            buf.putLong(written[0]);
            drain(out, buf, sum);
            buf.putInt((int) sum.getValue()).putInt(END_MAGIC);
            drain(out, buf, sum);
            if (force) {
                out.force(true);
            }
        }
        return tmp;
    }

    /** Renames a checkpoint written by {@link #write} over {@code index}. */
    static void install(Path dir, Path written) throws IOException {
        Files.move(written, dir.resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
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
        return startJournal(dir, JOURNAL, grain, generation);
    }

    /**
     * Starts {@code journal.next}, of the generation of a checkpoint about to be written while serving; once that
     * checkpoint is in place, {@link #promote} makes it the journal.
     */
    static IndexFile startNextJournal(Path dir, int grain, long generation) throws IOException {
        return startJournal(dir, NEXT_JOURNAL, grain, generation);
    }

    private static IndexFile startJournal(Path dir, String name, int grain, long generation) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
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
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FileChannel channel = FileChannel.open(dir.resolve(name), StandardOpenOption.WRITE);
        channel.position(HEADER);
        return new IndexFile(dir, channel, generation);
    }

    /** Makes this {@code journal.next} the journal (its checkpoint is in place); appends go on where they were. */
    void promote() throws IOException {
        Files.move(dir.resolve(NEXT_JOURNAL), dir.resolve(JOURNAL), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
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

    /** Deletes checkpoint and journals: the next open lists the folders. */
    static void delete(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(CHECKPOINT));
        Files.deleteIfExists(dir.resolve(JOURNAL));
        Files.deleteIfExists(dir.resolve(NEXT_JOURNAL));
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

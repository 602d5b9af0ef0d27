package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One epoch file being written: an {@link ArrowFileWriter} over a {@link FileChannel}, and the
 * {@link VectorSchemaRoot} that collects the current batch.
 *
 * <h2>Design</h2>
 * The file is created with {@code CREATE_NEW} (never overwriting a trace), and the magic and schema are written
 * and forced at once, so even an epoch that crashes before its first batch leaves a file readers recognise.
 * Rows are appended into the root's vectors straight from the ring buffer's slot (no intermediate objects);
 * {@link #writeBatch()} hands the batch to the OS as one IPC message (and forces it when fsync is on), then resets
 * the vectors, keeping their buffers for the next batch. {@link #finish()} writes the end-of-stream marker and
 * the footer. Because the IPC file format is the stream format between a magic and a footer, a file cut anywhere
 * still holds every batch written before the cut (see {@link TraceFileReader}).
 *
 * <p>Strings are encoded to UTF-8 here, on the writer thread. Consecutive reads mostly repeat the same key, ETag
 * and client, so each string column remembers its last value and its bytes.
 *
 * <p>Not thread-safe: owned by the writer thread.
 */
final class EpochFileWriter {
    private final Path path;
    private final boolean fsync;
    private final int epoch;
    private final int part;
    private final FileChannel channel;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final DictionaryProvider.MapDictionaryProvider dictionaries;
    private final ArrowFileWriter writer;

    private final TimeStampNanoTZVector time;
    private final BigIntVector clientId;
    private final VarCharVector clientAddress;
    private final VarCharVector objectKey;
    private final VarCharVector etag;
    private final BigIntVector fileId;
    private final BigIntVector offset;
    private final IntVector length;
    private final TinyIntVector outcome;
    private final BigIntVector s3Wait;
    private final TinyIntVector dataset;
    private final TinyIntVector job;
    private final IntVector epochColumn;

    private final Utf8Cache addressBytes = new Utf8Cache();
    private final Utf8Cache keyBytes = new Utf8Cache();
    private final Utf8Cache etagBytes = new Utf8Cache();

    private int rows;
    private long firstPendingNanos;
    private long rowsWritten;

    /**
     * Creates the file (failing if it exists) and writes the magic and schema.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code path} exists
     */
    EpochFileWriter(Path path, BufferAllocator parent, String datasetName, String jobName, int epoch, int part,
                    boolean hinted, boolean fsync) throws IOException {
        this.path = path;
        this.fsync = fsync;
        this.epoch = epoch;
        this.part = part;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        BufferAllocator alloc = null;
        VectorSchemaRoot r = null;
        DictionaryProvider.MapDictionaryProvider dicts = null;
        try {
            alloc = parent.newChildAllocator("trace " + path.getFileName(), 0, Long.MAX_VALUE);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(TraceSchema.META_VERSION, TraceSchema.VERSION);
            meta.put(TraceSchema.META_DATASET, datasetName);
            meta.put(TraceSchema.META_JOB, jobName);
            meta.put(TraceSchema.META_EPOCH, Integer.toString(epoch));
            meta.put(TraceSchema.META_PART, Integer.toString(part));
            meta.put(TraceSchema.META_SOURCE, hinted ? "hint" : "inferred");
            Schema schema = TraceSchema.schema(meta);
            r = VectorSchemaRoot.create(schema, alloc);
            dicts = new DictionaryProvider.MapDictionaryProvider();
            String[] outcomes = new String[Outcome.values().length];
            for (Outcome o : Outcome.values()) {
                outcomes[o.ordinal()] = o.name();
            }
            dicts.put(dictionary(schema, TraceSchema.OUTCOME, alloc, outcomes));
            dicts.put(dictionary(schema, TraceSchema.DATASET, alloc, datasetName));
            dicts.put(dictionary(schema, TraceSchema.JOB, alloc, jobName));
            this.writer = new ArrowFileWriter(r, dicts, channel);
            writer.start();
            if (fsync) {
                channel.force(true);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(r, dicts, alloc);
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
        this.allocator = alloc;
        this.root = r;
        this.dictionaries = dicts;
        time = (TimeStampNanoTZVector) root.getVector(TraceSchema.TIME);
        clientId = (BigIntVector) root.getVector(TraceSchema.CLIENT_ID);
        clientAddress = (VarCharVector) root.getVector(TraceSchema.CLIENT_ADDRESS);
        objectKey = (VarCharVector) root.getVector(TraceSchema.OBJECT_KEY);
        etag = (VarCharVector) root.getVector(TraceSchema.ETAG);
        fileId = (BigIntVector) root.getVector(TraceSchema.FILE_ID);
        offset = (BigIntVector) root.getVector(TraceSchema.BYTE_OFFSET);
        length = (IntVector) root.getVector(TraceSchema.BYTE_LENGTH);
        outcome = (TinyIntVector) root.getVector(TraceSchema.OUTCOME);
        s3Wait = (BigIntVector) root.getVector(TraceSchema.S3_WAIT_NS);
        dataset = (TinyIntVector) root.getVector(TraceSchema.DATASET);
        job = (TinyIntVector) root.getVector(TraceSchema.JOB);
        epochColumn = (IntVector) root.getVector(TraceSchema.EPOCH);
    }

    private static Dictionary dictionary(Schema schema, String field, BufferAllocator alloc, String... values) {
        VarCharVector v = new VarCharVector(field, alloc);
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) {
            v.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
        }
        v.setValueCount(values.length);
        return new Dictionary(v, schema.findField(field).getDictionary());
    }

    /** Appends slot {@code i} of {@code ring} as a row. */
    void append(RecordRing ring, int i) {
        int row = rows;
        if (row == 0) {
            firstPendingNanos = ring.time[i];
        }
        time.setSafe(row, ring.time[i]);
        clientId.setSafe(row, ring.clientId[i]);
        clientAddress.setSafe(row, addressBytes.bytes(ring.clientAddress[i]));
        objectKey.setSafe(row, keyBytes.bytes(ring.key[i]));
        etag.setSafe(row, etagBytes.bytes(ring.etag[i]));
        fileId.setSafe(row, ring.fileId[i]);
        offset.setSafe(row, ring.offset[i]);
        length.setSafe(row, ring.length[i]);
        outcome.setSafe(row, ring.outcome[i].ordinal());
        s3Wait.setSafe(row, ring.waitNanos[i]);
        dataset.setSafe(row, 0);
        job.setSafe(row, 0);
        epochColumn.setSafe(row, epoch);
        rows = row + 1;
    }

    /** Writes the pending rows as one record batch (and forces it if fsync is on). No-op without pending rows. */
    void writeBatch() throws IOException {
        if (rows == 0) {
            return;
        }
        root.setRowCount(rows);
        writer.writeBatch();
        if (fsync) {
            channel.force(false);
        }
        rowsWritten += rows;
        rows = 0;
        for (FieldVector v : root.getFieldVectors()) {
            v.reset();
        }
        root.setRowCount(0);
    }

    /** Writes the pending rows, the end-of-stream marker and the footer, and closes the file. */
    void finish() throws IOException {
        try {
            writeBatch();
            writer.end();
            if (fsync) {
                channel.force(true);
            }
        } finally {
            release();
        }
    }

    /** Closes the file as it is, after a write error: no more bytes are written. */
    void abandon() {
        release();
    }

    private void release() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing after an error; the caller reports the error
        }
        closeQuietly(root, dictionaries, allocator);
    }

    private static void closeQuietly(VectorSchemaRoot r, DictionaryProvider.MapDictionaryProvider d,
                                     BufferAllocator a) {
        if (r != null) {
            r.close();
        }
        if (d != null) {
            d.close();
        }
        if (a != null) {
            a.close();
        }
    }

    int pendingRows() {
        return rows;
    }

    /** The record time of the oldest pending row (meaningful when {@link #pendingRows()} &gt; 0). */
    long firstPendingNanos() {
        return firstPendingNanos;
    }

    long rowsWritten() {
        return rowsWritten;
    }

    /** Bytes in the file so far. */
    long size() {
        try {
            return channel.isOpen() ? channel.position() : Files.size(path);
        } catch (IOException e) {
            return 0;
        }
    }

    Path path() {
        return path;
    }

    int epoch() {
        return epoch;
    }

    int part() {
        return part;
    }

    /** The UTF-8 bytes of the last string seen, so runs of the same key or ETag are encoded once. */
    private static final class Utf8Cache {
        private static final byte[] EMPTY = new byte[0];
        private String last;
        private byte[] bytes = EMPTY;

        byte[] bytes(String s) {
            if (s == null || s.isEmpty()) {
                return EMPTY;
            }
            if (s != last && !s.equals(last)) {
                last = s;
                bytes = s.getBytes(StandardCharsets.UTF_8);
            }
            return bytes;
        }
    }
}

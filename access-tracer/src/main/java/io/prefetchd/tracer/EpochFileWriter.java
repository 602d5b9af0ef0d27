package io.prefetchd.tracer;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One epoch file being written: an {@link ArrowFileWriter} over a {@link FileChannel}.
 *
 * <h2>Design</h2>
 * The file is created with {@code CREATE_NEW} (never overwriting a trace), and the magic and schema are written
 * (and forced) at once, so even an epoch that crashes before its first batch leaves a file readers recognise.
 *
 * <p>Rows are not appended to Arrow vectors one value at a time: Arrow's per-value setters check capacity and
 * bounds on every call, which made the writer cost about a microsecond per read. Instead {@link #append} copies
 * the ring buffer slot into plain little-endian staging arrays (one per column, sized for a full batch, strings as
 * UTF-8 bytes plus offsets, exactly Arrow's layout), and {@link #writeBatch()} copies each column into its vector
 * with one bulk copy, sets the validity bits a byte at a time, and hands the batch to the {@link ArrowFileWriter}.
 * The writer's many small buffer writes go through a direct buffer ({@link Buffered}), so a batch reaches the file
 * in one or a few {@code write} calls; then it is forced when fsync is on. {@link #finish()} writes the
 * end-of-stream marker and the footer. Because the IPC file format is the stream format between a magic and a
 * footer, a file cut anywhere still holds every batch written before the cut (see {@link TraceFileReader}).
 *
 * <p>Strings are encoded on the writer thread; a small direct-mapped cache keyed by the string's hash keeps the
 * bytes of recently seen keys, ETags and addresses, so repeated values are encoded once.
 *
 * <p>Not thread-safe: owned by the writer thread.
 */
final class EpochFileWriter {
    private final Path path;
    private final boolean fsync;
    private final int epoch;
    private final int part;
    private final int capacity;
    private final FileChannel channel;
    private final Buffered out;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final DictionaryProvider.MapDictionaryProvider dictionaries;
    private final ArrowFileWriter writer;

    private final Fixed time;
    private final Fixed clientId;
    private final Fixed fileId;
    private final Fixed offset;
    private final Fixed length;
    private final Fixed outcome;
    private final Fixed s3Wait;
    private final Fixed dataset;
    private final Fixed job;
    private final Fixed epochColumn;
    private final Fixed sample;
    private final Fixed rank;
    private final Utf8 clientAddress;
    private final Utf8 objectKey;
    private final Utf8 etag;
    private final byte[] ones;

    private int rows;
    private long firstPendingNanos;
    private long rowsWritten;

    /**
     * Creates the file (failing if it exists) and writes the magic and schema.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code path} exists
     */
    EpochFileWriter(Path path, BufferAllocator parent, String datasetName, String jobName, int epoch, int part,
                    boolean hinted, boolean fsync, int batchRows) throws IOException {
        this.path = path;
        this.fsync = fsync;
        this.epoch = epoch;
        this.part = part;
        this.capacity = batchRows;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.out = new Buffered(channel);
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
            this.writer = new ArrowFileWriter(r, dicts, out);
            writer.start();
            out.flush();
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
        time = new Fixed(root, TraceSchema.TIME, 8, batchRows);
        clientId = new Fixed(root, TraceSchema.CLIENT_ID, 8, batchRows);
        fileId = new Fixed(root, TraceSchema.FILE_ID, 8, batchRows);
        offset = new Fixed(root, TraceSchema.BYTE_OFFSET, 8, batchRows);
        length = new Fixed(root, TraceSchema.BYTE_LENGTH, 4, batchRows);
        outcome = new Fixed(root, TraceSchema.OUTCOME, 1, batchRows);
        s3Wait = new Fixed(root, TraceSchema.S3_WAIT_NS, 8, batchRows);
        dataset = new Fixed(root, TraceSchema.DATASET, 1, batchRows); // index 0 on every row: staging stays zero
        job = new Fixed(root, TraceSchema.JOB, 1, batchRows);
        epochColumn = new Fixed(root, TraceSchema.EPOCH, 4, batchRows);
        for (int i = 0; i < batchRows; i++) {
            epochColumn.le.putInt(i * 4, epoch);
        }
        sample = new Fixed(root, TraceSchema.SAMPLE, 8, batchRows);
        rank = new Fixed(root, TraceSchema.RANK, 4, batchRows);
        clientAddress = new Utf8(root, TraceSchema.CLIENT_ADDRESS, batchRows);
        objectKey = new Utf8(root, TraceSchema.OBJECT_KEY, batchRows);
        etag = new Utf8(root, TraceSchema.ETAG, batchRows);
        ones = new byte[batchRows / 8 + 1];
        Arrays.fill(ones, (byte) 0xff);
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

    /** Forces what was written so far to the device (when fsync is on). */
    void force() throws IOException {
        if (fsync) {
            channel.force(false);
        }
    }

    /** Whether the batch is full: the caller must {@link #writeBatch()} before the next append. */
    boolean full() {
        return rows >= capacity;
    }

    /** Appends slot {@code i} of {@code ring} as a row. The batch must not be {@link #full()}. */
    void append(RecordRing ring, int i) {
        int row = rows;
        if (row == 0) {
            firstPendingNanos = ring.time[i];
        }
        time.le.putLong(row << 3, ring.time[i]);
        clientId.le.putLong(row << 3, ring.clientId[i]);
        fileId.le.putLong(row << 3, ring.fileId[i]);
        offset.le.putLong(row << 3, ring.offset[i]);
        length.le.putInt(row << 2, ring.length[i]);
        outcome.bytes[row] = (byte) ring.outcome[i].ordinal();
        s3Wait.le.putLong(row << 3, ring.waitNanos[i]);
        sample.le.putLong(row << 3, ring.sample[i]);
        rank.le.putInt(row << 2, ring.rank[i]);
        clientAddress.add(row, ring.clientAddress[i]);
        objectKey.add(row, ring.key[i]);
        etag.add(row, ring.etag[i]);
        rows = row + 1;
    }

    /**
     * Writes the pending rows as one record batch, then forces the file to the device if fsync is on and
     * {@code force} (the caller limits forcing to about once per flush interval). No-op without pending rows.
     */
    void writeBatch(boolean force) throws IOException {
        int n = rows;
        if (n == 0) {
            return;
        }
        for (Fixed f : new Fixed[] {time, clientId, fileId, offset, length, outcome, s3Wait, dataset, job,
                epochColumn, sample, rank}) {
            f.load(n, ones);
        }
        clientAddress.load(n, ones);
        objectKey.load(n, ones);
        etag.load(n, ones);
        root.setRowCount(n);
        writer.writeBatch();
        out.flush();
        if (fsync && force) {
            channel.force(false);
        }
        rowsWritten += n;
        rows = 0;
        clientAddress.clear();
        objectKey.clear();
        etag.clear();
    }

    /** Writes the pending rows, the end-of-stream marker and the footer, and closes the file. */
    void finish() throws IOException {
        try {
            writeBatch(false);
            writer.end();
            out.flush();
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

    private static void closeQuietly(@Nullable VectorSchemaRoot r,
                                     DictionaryProvider.@Nullable MapDictionaryProvider d, @Nullable BufferAllocator a) {
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

    /** Bytes handed to the OS so far. */
    long size() {
        return out.written;
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

    /** Sets validity bits 0..n-1 (whole bytes at once) and clears the rest of the last byte. */
    private static void setValid(ArrowBuf validity, int n, byte[] ones) {
        int full = n >>> 3;
        validity.setBytes(0, ones, 0, full);
        int rest = n & 7;
        if (rest != 0) {
            validity.setByte(full, (1 << rest) - 1);
        }
    }

    /** A fixed-width column: staging bytes in Arrow's little-endian layout, and its vector. */
    private static final class Fixed {
        final byte[] bytes;
        final ByteBuffer le;
        final BaseFixedWidthVector vector;
        final int width;

        Fixed(VectorSchemaRoot root, String name, int width, int capacity) {
            this.width = width;
            this.bytes = new byte[width * capacity];
            this.le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.vector = (BaseFixedWidthVector) root.getVector(name);
            vector.allocateNew(capacity);
        }

        void load(int n, byte[] ones) {
            vector.getDataBuffer().setBytes(0, bytes, 0, (long) n * width);
            setValid(vector.getValidityBuffer(), n, ones);
        }
    }

    /** A UTF-8 column: bytes and offsets staged in Arrow's layout, and its vector. */
    private static final class Utf8 {
        private static final int CACHE = 1024;
        private static final byte[] EMPTY = new byte[0];
        final VarCharVector vector;
        final ByteBuffer offsets;
        final byte[] offsetBytes;
        byte[] data;
        int size;
        private final String[] cachedString = new String[CACHE];
        private final byte[][] cachedBytes = new byte[CACHE][];
        private @Nullable String last;
        private byte[] lastBytes = EMPTY;

        Utf8(VectorSchemaRoot root, String name, int capacity) {
            this.vector = (VarCharVector) root.getVector(name);
            this.offsetBytes = new byte[(capacity + 1) * 4];
            this.offsets = ByteBuffer.wrap(offsetBytes).order(ByteOrder.LITTLE_ENDIAN);
            this.data = new byte[capacity * 16];
            vector.allocateNew((long) capacity * 16, capacity);
        }

        void add(int row, String s) {
            byte[] b = utf8(s);
            int end = size + b.length;
            if (end > data.length) {
                data = Arrays.copyOf(data, Math.max(end, data.length * 2));
            }
            System.arraycopy(b, 0, data, size, b.length);
            size = end;
            offsets.putInt((row + 1) << 2, end);
        }

        private byte[] utf8(String s) {
            if (s == last) { // runs of the same instance: no hashing at all
                return lastBytes;
            }
            if (s == null || s.isEmpty()) {
                return EMPTY;
            }
            int slot = s.hashCode() & (CACHE - 1);
            String c = cachedString[slot];
            byte[] b;
            if (c == s || s.equals(c)) {
                b = cachedBytes[slot];
            } else {
                b = s.getBytes(StandardCharsets.UTF_8);
                cachedString[slot] = s;
                cachedBytes[slot] = b;
            }
            last = s;
            lastBytes = b;
            return b;
        }

        void load(int n, byte[] ones) {
            if (vector.getDataBuffer().capacity() < size) {
                vector.reallocDataBuffer(size);
            }
            vector.getOffsetBuffer().setBytes(0, offsetBytes, 0, (long) (n + 1) * 4);
            vector.getDataBuffer().setBytes(0, data, 0, size);
            setValid(vector.getValidityBuffer(), n, ones);
            vector.setLastSet(n - 1);
        }

        void clear() {
            size = 0;
        }
    }

    /**
     * Collects the Arrow writer's many small writes in a direct buffer and writes them on {@link #flush()} (or
     * when full), so a batch costs a few system calls instead of one per Arrow buffer. Counts bytes written.
     */
    private static final class Buffered implements WritableByteChannel {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 << 10);
        long written;

        Buffered(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (n > buffer.remaining()) {
                flush();
                if (n > buffer.capacity()) {
                    while (src.hasRemaining()) {
                        written += channel.write(src);
                    }
                    return n;
                }
            }
            buffer.put(src);
            return n;
        }

        void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                written += channel.write(buffer);
            }
            buffer.clear();
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            try {
                flush();
            } finally {
                channel.close();
            }
        }
    }
}

package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * Reads one epoch file row by row, with a fallback for files without a footer.
 *
 * <h2>Design</h2>
 * An Arrow IPC file is {@code "ARROW1"}, two bytes of padding, the IPC <em>stream</em> (schema, dictionaries,
 * record batches, end-of-stream marker), the footer (a flatbuffer indexing the batches), the footer's length and
 * {@code "ARROW1"} again. A complete file is read with {@link ArrowFileReader}, which starts from the footer. If the
 * gateway crashed, or the file is still being written, there is no footer: then the reader skips the 8-byte
 * header and reads the stream part with {@link ArrowStreamReader}, batch by batch, until the first batch that
 * cannot be read whole (the cut) or the end-of-stream marker. Each batch is one message with its length up front
 * and its body read completely before it is loaded, so a cut batch is never half-returned; every batch before
 * the cut is. Which path is taken depends only on whether the file ends with the closing magic: a file that has
 * it but whose footer cannot be read is reported as corrupt, never silently read as a stream.
 * {@link #truncated()} tells which path was taken.
 *
 * <p>Not thread-safe.
 */
final class TraceFileReader implements AutoCloseable {
    private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 8;
    private static final Outcome[] OUTCOMES = Outcome.values();

    private final Path path;
    private final FileChannel channel;
    private final ArrowReader reader;
    private final boolean truncated;
    private boolean end;
    private int batches;

    private VectorSchemaRoot root;
    private int row;
    private int rows;
    private TimeStampVector time;
    private BigIntVector clientId;
    private VarCharVector clientAddress;
    private VarCharVector objectKey;
    private VarCharVector etag;
    private BigIntVector fileId;
    private BigIntVector offset;
    private IntVector length;
    private TinyIntVector outcome;
    private BigIntVector s3Wait;
    private TinyIntVector dataset;
    private TinyIntVector job;
    private IntVector epoch;
    /** Null in a version 1 file, which has neither column. */
    private @Nullable BigIntVector sample;
    private @Nullable IntVector rank;
    private Outcome[] outcomeByIndex;
    private String[] datasetByIndex;
    private String[] jobByIndex;

    @SuppressWarnings("NullAway.Init") // the batch's columns are bound by bind() before the first row is read
    TraceFileReader(Path path, BufferAllocator allocator) throws IOException {
        ArrowAccess.check();
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            checkMagic();
            if (endsWithMagic()) {
                ArrowFileReader r = new ArrowFileReader(channel, allocator);
                this.reader = r;
                this.truncated = false;
                try {
                    r.getVectorSchemaRoot(); // reads footer, schema and dictionaries (once: not initialize() again)
                } catch (IOException | RuntimeException e) {
                    throw new IOException("corrupt trace file " + path + ": " + e.getMessage(), e);
                }
            } else {
                channel.position(HEADER);
                this.reader = new ArrowStreamReader(channel, allocator);
                this.truncated = true;
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private void checkMagic() throws IOException {
        if (!magicAt(0)) {
            throw new IOException(path + " is not an Arrow IPC file (no ARROW1 magic at its start)");
        }
    }

    /**
     * Whether the file ends with the closing magic, i.e. its footer was written. A file cut by a crash, or still
     * being written, does not; it is read as a stream. A file that has the magic but a bad footer is corrupt.
     */
    private boolean endsWithMagic() throws IOException {
        long size = channel.size();
        return size >= HEADER + MAGIC.length && magicAt(size - MAGIC.length);
    }

    private boolean magicAt(long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length);
        while (b.hasRemaining() && channel.read(b, position + b.position()) > 0) {
            // read MAGIC.length bytes
        }
        return !b.hasRemaining() && Arrays.equals(b.array(), MAGIC);
    }

    /** Whether the file had no footer and was read as a (possibly cut) stream. */
    boolean truncated() {
        return truncated;
    }

    /** Record batches loaded so far. */
    int batches() {
        return batches;
    }

    boolean hasNext() {
        while (!end && row >= rows) {
            loadNext();
        }
        return !end;
    }

    ReadRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int i = row++;
        return new ReadRecord(time.get(i), clientId.get(i), utf8(clientAddress, i), utf8(objectKey, i),
                utf8(etag, i), fileId.get(i), offset.get(i), length.get(i), outcomeByIndex[outcome.get(i)],
                s3Wait.get(i), datasetByIndex[dataset.get(i)], jobByIndex[job.get(i)], epoch.get(i),
                sample == null ? ReadRecord.UNKNOWN : sample.get(i), rank == null ? ReadRecord.UNKNOWN : rank.get(i));
    }

    private static String utf8(VarCharVector v, int i) {
        byte[] b = v.get(i);
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }

    private void loadNext() {
        boolean loaded;
        try {
            loaded = reader.loadNextBatch();
        } catch (IOException | RuntimeException e) {
            if (truncated) {
                end = true; // the cut: everything before it has been returned
                return;
            }
            throw new UncheckedIOException(new IOException("corrupt trace file " + path + " at batch "
                    + batches + ": " + e.getMessage(), e));
        }
        if (!loaded) {
            end = true;
            return;
        }
        try {
            bind();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        batches++;
        row = 0;
        rows = root.getRowCount();
    }

    private void bind() throws IOException {
        VectorSchemaRoot r = reader.getVectorSchemaRoot();
        if (r != root) {
            root = r;
            String version = r.getSchema().getCustomMetadata() == null ? null
                    : r.getSchema().getCustomMetadata().get(TraceSchema.META_VERSION);
            boolean v1 = TraceSchema.VERSION_1.equals(version);
            if (!v1 && !TraceSchema.VERSION.equals(version)) {
                throw new IOException(path + " is a prefetchd trace of schema version " + version + ", but this "
                        + "version of prefetchd reads versions " + TraceSchema.VERSION_1 + " and "
                        + TraceSchema.VERSION + " only");
            }
            time = column(TimeStampVector.class, TraceSchema.TIME);
            clientId = column(BigIntVector.class, TraceSchema.CLIENT_ID);
            clientAddress = column(VarCharVector.class, TraceSchema.CLIENT_ADDRESS);
            objectKey = column(VarCharVector.class, TraceSchema.OBJECT_KEY);
            etag = column(VarCharVector.class, TraceSchema.ETAG);
            fileId = column(BigIntVector.class, TraceSchema.FILE_ID);
            offset = column(BigIntVector.class, TraceSchema.BYTE_OFFSET);
            length = column(IntVector.class, TraceSchema.BYTE_LENGTH);
            outcome = column(TinyIntVector.class, TraceSchema.OUTCOME);
            s3Wait = column(BigIntVector.class, TraceSchema.S3_WAIT_NS);
            dataset = column(TinyIntVector.class, TraceSchema.DATASET);
            job = column(TinyIntVector.class, TraceSchema.JOB);
            epoch = column(IntVector.class, TraceSchema.EPOCH);
            sample = v1 ? null : column(BigIntVector.class, TraceSchema.SAMPLE);
            rank = v1 ? null : column(IntVector.class, TraceSchema.RANK);
        }
        String[] outcomes = dictionary(TraceSchema.OUTCOME);
        outcomeByIndex = new Outcome[outcomes.length];
        for (int i = 0; i < outcomes.length; i++) {
            try {
                outcomeByIndex[i] = Outcome.valueOf(outcomes[i]);
            } catch (IllegalArgumentException e) {
                throw new IOException(path + ": unknown outcome '" + outcomes[i] + "'", e);
            }
        }
        datasetByIndex = dictionary(TraceSchema.DATASET);
        jobByIndex = dictionary(TraceSchema.JOB);
    }

    private <T extends FieldVector> T column(Class<T> type, String name) throws IOException {
        FieldVector v = root.getVector(name);
        if (!type.isInstance(v)) {
            throw new IOException(path + ": column " + name + " is missing or has the wrong type");
        }
        return type.cast(v);
    }

    private String[] dictionary(String name) throws IOException {
        Field f = root.getSchema().findField(name);
        DictionaryEncoding enc = f.getDictionary();
        Dictionary d = enc == null ? null : reader.getDictionaryVectors().get(enc.getId());
        if (d == null || !(d.getVector() instanceof VarCharVector values)) {
            throw new IOException(path + ": column " + name + " has no string dictionary");
        }
        String[] out = new String[values.getValueCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = utf8(values, i);
        }
        return out;
    }

    /** The file's schema metadata (dataset and job names, epoch, part, how the epoch began). */
    Map<String, String> metadata() throws IOException {
        Map<String, String> m = reader.getVectorSchemaRoot().getSchema().getCustomMetadata();
        return m == null ? Map.of() : m;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

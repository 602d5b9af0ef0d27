package io.prefetchd.tracer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files of the first schema (no {@code sample}, no {@code rank}) stay readable; unknown versions are refused. */
class SchemaVersionTest {
    @TempDir
    Path state;

    @Test
    void version1File_readsWithUnknownSampleAndRank() throws Exception {
        Path file = writeOldFile("1");
        List<ReadRecord> got = TraceStore.open(state).readAll(TraceStore.ofFile(file));
        assertEquals(List.of(new ReadRecord(1_000L, 7, "10.0.0.7:811", "train/a.tar", "e1", 11, 512, 100,
                Outcome.S3_WAIT, 5, "imagenet", "run1", 0, ReadRecord.UNKNOWN, ReadRecord.UNKNOWN)), got);
    }

    @Test
    void unknownVersion_failsNamingTheVersion() throws Exception {
        Path file = writeOldFile("9");
        TraceStore store = TraceStore.open(state);
        EpochTrace e = TraceStore.ofFile(file);
        Exception thrown = assertThrows(Exception.class, () -> store.readAll(e));
        String message = thrown instanceof UncheckedIOException u ? u.getCause().getMessage() : thrown.getMessage();
        assertTrue(message.contains("schema version 9") && message.contains("reads versions 1 and 2"), message);
    }

    /** One row in the version 1 layout: the version 2 schema without its last two columns. */
    private Path writeOldFile(String version) throws IOException {
        Path dir = Files.createDirectories(state.resolve("traces/imagenet/run1"));
        Path file = dir.resolve("epoch-0.arrow");
        Map<String, String> meta = Map.of(TraceSchema.META_VERSION, version, TraceSchema.META_DATASET, "imagenet",
                TraceSchema.META_JOB, "run1", TraceSchema.META_EPOCH, "0", TraceSchema.META_PART, "1",
                TraceSchema.META_SOURCE, "hint");
        List<Field> v2 = TraceSchema.schema(meta).getFields();
        Schema schema = new Schema(v2.subList(0, v2.size() - 2), meta);
        try (BufferAllocator alloc = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc);
             FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            DictionaryProvider.MapDictionaryProvider dicts = new DictionaryProvider.MapDictionaryProvider();
            dicts.put(dictionary(schema, TraceSchema.OUTCOME, alloc, "CACHE_HIT", "PREFETCH_HIT", "S3_WAIT"));
            dicts.put(dictionary(schema, TraceSchema.DATASET, alloc, "imagenet"));
            dicts.put(dictionary(schema, TraceSchema.JOB, alloc, "run1"));
            ((TimeStampNanoTZVector) root.getVector(TraceSchema.TIME)).setSafe(0, 1_000L);
            ((BigIntVector) root.getVector(TraceSchema.CLIENT_ID)).setSafe(0, 7);
            utf8(root, TraceSchema.CLIENT_ADDRESS, "10.0.0.7:811");
            utf8(root, TraceSchema.OBJECT_KEY, "train/a.tar");
            utf8(root, TraceSchema.ETAG, "e1");
            ((BigIntVector) root.getVector(TraceSchema.FILE_ID)).setSafe(0, 11);
            ((BigIntVector) root.getVector(TraceSchema.BYTE_OFFSET)).setSafe(0, 512);
            ((IntVector) root.getVector(TraceSchema.BYTE_LENGTH)).setSafe(0, 100);
            ((TinyIntVector) root.getVector(TraceSchema.OUTCOME)).setSafe(0, 2);
            ((BigIntVector) root.getVector(TraceSchema.S3_WAIT_NS)).setSafe(0, 5);
            ((TinyIntVector) root.getVector(TraceSchema.DATASET)).setSafe(0, 0);
            ((TinyIntVector) root.getVector(TraceSchema.JOB)).setSafe(0, 0);
            ((IntVector) root.getVector(TraceSchema.EPOCH)).setSafe(0, 0);
            root.setRowCount(1);
            try (ArrowFileWriter w = new ArrowFileWriter(root, dicts, channel)) {
                w.start();
                w.writeBatch();
                w.end();
            } finally {
                dicts.close();
            }
        }
        return file;
    }

    private static void utf8(VectorSchemaRoot root, String column, String value) {
        ((VarCharVector) root.getVector(column)).setSafe(0, value.getBytes(StandardCharsets.UTF_8));
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
}

package io.prefetchd.tracer;

import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.List;
import java.util.Map;

/**
 * The Arrow schema of an epoch file (version 2), documented column by column in {@code docs/TRACES.md}. Version 2
 * is version 1 plus two columns at the end, {@code sample} and {@code rank}; {@link TraceFileReader} reads both.
 *
 * <p>Strings that repeat on every row are dictionary-encoded with an 8-bit index: {@code outcome} (the three
 * {@link Outcome} names), and {@code dataset} and {@code job}, whose one-entry dictionaries are known when the
 * file is opened. The IPC file format cannot change a dictionary after the first batch, which is why the object
 * key, ETag and client address, whose values are only known as reads arrive, are plain UTF-8 columns.
 * Every column is non-nullable. Stateless.
 */
final class TraceSchema {
    static final String VERSION = "2";
    /** The first schema, without {@link #SAMPLE} and {@link #RANK}: still read, with both taken as unknown. */
    static final String VERSION_1 = "1";

    static final String TIME = "time";
    static final String CLIENT_ID = "client_id";
    static final String CLIENT_ADDRESS = "client_address";
    static final String OBJECT_KEY = "object_key";
    static final String ETAG = "etag";
    static final String FILE_ID = "file_id";
    static final String BYTE_OFFSET = "byte_offset";
    static final String BYTE_LENGTH = "byte_length";
    static final String OUTCOME = "outcome";
    static final String S3_WAIT_NS = "s3_wait_ns";
    static final String DATASET = "dataset";
    static final String JOB = "job";
    static final String EPOCH = "epoch";
    static final String SAMPLE = "sample";
    static final String RANK = "rank";

    /** Schema metadata keys. */
    static final String META_VERSION = "prefetchd.trace.version";
    static final String META_DATASET = "prefetchd.dataset";
    static final String META_JOB = "prefetchd.job";
    static final String META_EPOCH = "prefetchd.epoch";
    static final String META_PART = "prefetchd.part";
    static final String META_SOURCE = "prefetchd.epoch_source";

    static final long OUTCOME_DICT = 0;
    static final long DATASET_DICT = 1;
    static final long JOB_DICT = 2;

    static final ArrowType.Int INT8 = new ArrowType.Int(8, true);

    private TraceSchema() {
    }

    static Schema schema(Map<String, String> metadata) {
        return new Schema(List.of(
                plain(TIME, new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC")),
                plain(CLIENT_ID, new ArrowType.Int(64, true)),
                plain(CLIENT_ADDRESS, ArrowType.Utf8.INSTANCE),
                plain(OBJECT_KEY, ArrowType.Utf8.INSTANCE),
                plain(ETAG, ArrowType.Utf8.INSTANCE),
                plain(FILE_ID, new ArrowType.Int(64, true)),
                plain(BYTE_OFFSET, new ArrowType.Int(64, true)),
                plain(BYTE_LENGTH, new ArrowType.Int(32, true)),
                dictionary(OUTCOME, OUTCOME_DICT),
                plain(S3_WAIT_NS, new ArrowType.Int(64, true)),
                dictionary(DATASET, DATASET_DICT),
                dictionary(JOB, JOB_DICT),
                plain(EPOCH, new ArrowType.Int(32, true)),
                plain(SAMPLE, new ArrowType.Int(64, true)),
                plain(RANK, new ArrowType.Int(32, true))), metadata);
    }

    private static Field plain(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    private static Field dictionary(String name, long id) {
        return new Field(name, new FieldType(false, INT8, new DictionaryEncoding(id, false, INT8)), null);
    }
}

package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link RangeSource} promises; run against the local folder and against S3 (S3Proxy). */
public abstract class RangeSourceContract {
    static final byte[] DATA = Fixtures.bytes(42, 5000);

    /** A source holding {@code objects}: key to bytes. */
    protected abstract RangeSource sourceWith(java.util.Map<String, byte[]> objects) throws Exception;

    private RangeSource source;

    @BeforeEach
    void setUp() throws Exception {
        java.util.Map<String, byte[]> m = new java.util.LinkedHashMap<>();
        m.put("b/2.bin", DATA);
        m.put("b/1.bin", "one".getBytes(UTF_8));
        m.put("a.bin", "a".getBytes(UTF_8));
        m.put("b2/x.bin", "x".getBytes(UTF_8));
        m.put("b/c/deep.bin", "deep".getBytes(UTF_8));
        source = sourceWith(m);
    }

    @Test
    void list_returnsTheSubtreeUnderThePrefixInKeyOrder() throws Exception {
        assertEquals(List.of("b/1.bin", "b/2.bin", "b/c/deep.bin"),
                source.list("b/").stream().map(ObjectRef::key).toList());
        assertEquals(List.of("b/1.bin", "b/2.bin", "b/c/deep.bin", "b2/x.bin"),
                source.list("b").stream().map(ObjectRef::key).toList());
        assertEquals(5, source.list("").size());
    }

    @Test
    void pagedList_handsOutWhatListReturns_inTheSameOrder() throws Exception {
        for (String prefix : List.of("", "b", "b/", "b/c/", "none/")) {
            List<ObjectRef> paged = new java.util.ArrayList<>();
            source.list(prefix, paged::add);
            assertEquals(source.list(prefix), paged, prefix);
        }
    }

    @Test
    void pagedList_stopsWithTheConsumersException() throws Exception {
        List<ObjectRef> seen = new java.util.ArrayList<>();
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> source.list("b/", o -> {
                    seen.add(o);
                    throw new java.io.IOException("stop");
                }));
        assertEquals("stop", e.getMessage());
        assertEquals(1, seen.size());
    }

    @Test
    void list_givesSizesAndEtagsThatHeadAgreesWith() throws Exception {
        ObjectRef listed = source.list("b/2").get(0);
        assertEquals(DATA.length, listed.size());
        assertTrue(!listed.etag().isEmpty() && !listed.etag().startsWith("\""), listed.etag());
        assertEquals(Optional.of(listed), source.head("b/2.bin"));
    }

    @Test
    void head_ofAMissingKey_isEmpty() throws Exception {
        assertEquals(Optional.empty(), source.head("b/none.bin"));
    }

    @Test
    void read_returnsTheRange() throws Exception {
        ObjectRef o = source.head("b/2.bin").orElseThrow();
        assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 1000, 1100), source.read(o, 1000, 100));
    }

    @Test
    void read_pastTheEnd_returnsWhatIsThere() throws Exception {
        ObjectRef o = source.head("b/2.bin").orElseThrow();
        assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 4990, 5000), source.read(o, 4990, 100));
    }

    @Test
    void stream_yieldsTheWholeObject() throws Exception {
        ObjectRef o = source.head("b/2.bin").orElseThrow();
        try (InputStream in = source.stream(o)) {
            assertArrayEquals(DATA, in.readAllBytes());
        }
    }
}

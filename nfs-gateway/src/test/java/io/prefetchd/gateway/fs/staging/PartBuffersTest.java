package io.prefetchd.gateway.fs.staging;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartBuffersTest {
    @Test
    void take_afterGive_returnsTheSameBufferCleared() {
        PartBuffers pool = new PartBuffers(1024, 2);
        ByteBuffer first = pool.take();
        first.put(new byte[100]).flip();
        pool.give(first);

        ByteBuffer again = pool.take();

        assertSame(first, again);
        assertEquals(0, again.position());
        assertEquals(1024, again.remaining());
        assertTrue(again.isDirect());
    }

    @Test
    void give_keepsAtMostRetained_andDropsTheRest() {
        PartBuffers pool = new PartBuffers(64, 2);
        ByteBuffer a = pool.take();
        ByteBuffer b = pool.take();
        ByteBuffer c = pool.take();
        assertNotSame(a, b);

        pool.give(a);
        pool.give(b);
        pool.give(c);

        assertEquals(2, pool.kept());
    }

    @Test
    void give_ofAForeignSize_isNotKept() {
        PartBuffers pool = new PartBuffers(64, 2);

        pool.give(ByteBuffer.allocateDirect(32));

        assertEquals(0, pool.kept());
    }

    @Test
    void constructor_refusesAnEmptyPart() {
        assertThrows(IllegalArgumentException.class, () -> new PartBuffers(0, 1));
    }
}

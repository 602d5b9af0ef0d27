package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BracePatternTest {
    @Test
    void expand_zeroPaddedRange_keepsTheWidth() {
        assertEquals(List.of("train-000098.tar", "train-000099.tar", "train-000100.tar"),
                BracePattern.expand("train-{000098..000100}.tar"));
    }

    @Test
    void expand_alternativesAndRanges_multiplyLeftToRight() {
        assertEquals(List.of("a-1", "a-2", "b-1", "b-2"), BracePattern.expand("{a,b}-{1..2}"));
    }

    @Test
    void expand_descendingRange_countsDown() {
        assertEquals(List.of("3", "2", "1"), BracePattern.expand("{3..1}"));
    }

    @Test
    void expand_unclosedBrace_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> BracePattern.expand("train-{0..3.tar"));
    }

    @Test
    void literalPrefix_isTheTextBeforeTheFirstGroup() {
        assertEquals("data/train-", BracePattern.literalPrefix("data/train-{0..9}.tar"));
    }
}

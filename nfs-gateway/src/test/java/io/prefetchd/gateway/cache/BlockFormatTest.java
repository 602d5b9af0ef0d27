package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BlockFormatTest {
    private static final ObjectVersion OBJECT = new ObjectVersion("train/shard-7.tar", "9b2cf535f27731c974343645a3985328", 10_000);
    private static final byte[] DATA = "some block data".getBytes();

    private static byte[] file(byte[] header, byte[] data) {
        byte[] file = Arrays.copyOf(header, header.length + data.length);
        System.arraycopy(data, 0, file, header.length, data.length);
        return file;
    }

    private static byte[] valid() {
        return file(BlockFormat.header("bucket", OBJECT, 4096, 2, DATA), DATA);
    }

    @Test
    void verify_ofWhatWasWritten_returnsDataOffset() throws Exception {
        byte[] file = valid();

        int offset = BlockFormat.verify(file, "bucket", OBJECT, 4096, 2, DATA.length);

        assertEquals(BlockFormat.headerLength("bucket", OBJECT), offset);
        assertArrayEquals(DATA, Arrays.copyOfRange(file, offset, file.length));
    }

    @Test
    void verify_rejectsEveryMismatch() {
        assertCorrupt(valid(), "bucket", OBJECT, 4096, 3, DATA.length, "expected bytes from 3");
        assertCorrupt(valid(), "bucket", OBJECT, 8192, 2, DATA.length, "grain");
        assertCorrupt(valid(), "other", OBJECT, 4096, 2, DATA.length, "identity");
        assertCorrupt(valid(), "bucket", new ObjectVersion(OBJECT.key(), "other-etag", 10_000), 4096, 2, DATA.length,
                "identity");
        assertCorrupt(valid(), "bucket", OBJECT, 4096, 2, DATA.length + 1, "length");
        assertCorrupt(Arrays.copyOf(valid(), valid().length - 1), "bucket", OBJECT, 4096, 2, DATA.length, "truncated");
        assertCorrupt(Arrays.copyOf(valid(), 10), "bucket", OBJECT, 4096, 2, DATA.length, "truncated header");
        byte[] flippedData = valid();
        flippedData[flippedData.length - 1] ^= 1;
        assertCorrupt(flippedData, "bucket", OBJECT, 4096, 2, DATA.length, "data checksum");
        byte[] flippedHeader = valid();
        flippedHeader[40] ^= 1;
        assertCorrupt(flippedHeader, "bucket", OBJECT, 4096, 2, DATA.length, "header checksum");
        assertCorrupt(new byte[200], "bucket", OBJECT, 4096, 2, DATA.length, "magic");
    }

    private static void assertCorrupt(byte[] file, String bucket, ObjectVersion object, int grain, long index,
            int length, String reason) {
        BlockFormat.CorruptBlockException e = assertThrows(BlockFormat.CorruptBlockException.class,
                () -> BlockFormat.verify(file, bucket, object, grain, index, length));
        assertTrue(e.getMessage().contains(reason), e.getMessage() + " should mention " + reason);
    }

    @Test
    void blockKey_fileNameRoundTrips() {
        BlockKey key = new BlockKey(0x0123456789abcdefL, 0xfedcba9876543210L, 42, 4096);

        assertEquals("0123456789abcdeffedcba9876543210-42-4096.blk", key.fileName());
        assertEquals(key, BlockKey.parse(key.fileName()));
    }

    @Test
    void blockKey_parseRejectsOtherNames() {
        assertNull(BlockKey.parse("0123456789abcdeffedcba9876543210-42-1.blk.1.tmp"));
        assertNull(BlockKey.parse("0123456789ABCDEFfedcba9876543210-42-1.blk"));
        assertNull(BlockKey.parse("0123456789abcdeffedcba9876543210-x-1.blk"));
        assertNull(BlockKey.parse("0123456789abcdeffedcba9876543210-42.blk"), "version 1 name");
        assertNull(BlockKey.parse("0123456789abcdeffedcba9876543210-42-0.blk"), "empty block");
        assertNull(BlockKey.parse("0123456789abcdeffedcba9876543210--1.blk"));
        assertNull(BlockKey.parse("notes.txt"));
    }
}

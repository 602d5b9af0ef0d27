package io.prefetchd.gateway.fs.staging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StagedBytesTest {
    private static final int A = StagedBytes.ALIGNMENT;

    /**
     * Aligned and unaligned writes from heap, aligned direct and unaligned direct buffers, overlapping one another,
     * read back by every kind of read: the bytes are always the last ones written, whichever path each took.
     */
    @Test
    void mixedWritesAndReads_directAndThroughThePageCache_giveTheLastBytesWritten(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("staged");
        byte[] expected = new byte[8 * A + 100];
        Random random = new Random(1);
        int alignment = StagedBytes.alignmentIn(tmp);
        assumeTrue(alignment == A, "this file system refuses O_DIRECT, or its blocks are larger: " + alignment);
        try (StagedBytes bytes = StagedBytes.open(file, true, alignment)) {
            write(bytes, expected, 0, 4 * A, random, Kind.HEAP);                 // whole blocks
            write(bytes, expected, 4 * A, 2 * A, random, Kind.ALIGNED_DIRECT);   // whole blocks, aligned buffer
            write(bytes, expected, 6 * A, 2 * A + 100, random, Kind.HEAP);       // ends mid-block: page cache
            write(bytes, expected, A + 7, 300, random, Kind.HEAP);                // inside a block written direct
            write(bytes, expected, 2 * A, A, random, Kind.UNALIGNED_DIRECT);      // over it, direct again
            write(bytes, expected, 3 * A, A, random, Kind.ALIGNED_DIRECT);
            write(bytes, expected, A / 2, 3 * A, random, Kind.HEAP);             // head and tail cached, 2 blocks not
            bytes.force();
            // every write but the one inside a block sent its whole blocks around the page cache
            assertEquals(6, bytes.directTransfers());
            assertEquals(expected.length, bytes.size());
            for (Kind kind : Kind.values()) {
                assertArrayEquals(expected, readAll(bytes, expected.length, kind), kind.toString());
                // a whole-block read of a range partly written through the page cache
                byte[] block = new byte[A];
                ByteBuffer b = kind.allocate(A);
                assertEquals(A, bytes.read(b, A));
                b.flip().get(block);
                assertArrayEquals(java.util.Arrays.copyOfRange(expected, A, 2 * A), block, kind.toString());
            }
        }
        assertArrayEquals(expected, Files.readAllBytes(file));
        try (StagedBytes again = StagedBytes.open(file, false, alignment)) {
            assertArrayEquals(expected, readAll(again, expected.length, Kind.ALIGNED_DIRECT), "reopened");
            assertTrue(again.directTransfers() > 0);
        }
    }

    @Test
    void probe_onThisMachinesDisk_findsDirectTransfersWork(@TempDir Path tmp) {
        // CI and development machines keep their temporary folder on ext4 or xfs, which take O_DIRECT
        assertTrue(StagedBytes.alignmentIn(tmp) >= A, "O_DIRECT refused in " + tmp);
        assertFalse(java.nio.file.Files.exists(tmp.resolve(".direct-io-probe")), "the probe file is deleted");
    }

    @Test
    void withoutDirectIo_everythingGoesThroughThePageCache(@TempDir Path tmp) throws Exception {
        byte[] expected = new byte[3 * A];
        try (StagedBytes bytes = StagedBytes.open(tmp.resolve("staged"), true, 0)) {
            write(bytes, expected, 0, 3 * A, new Random(2), Kind.ALIGNED_DIRECT);
            assertArrayEquals(expected, readAll(bytes, expected.length, Kind.HEAP));
            assertEquals(0, bytes.directTransfers());
        }
    }

    private enum Kind {
        HEAP, ALIGNED_DIRECT, UNALIGNED_DIRECT;

        ByteBuffer allocate(int n) {
            return switch (this) {
                case HEAP -> ByteBuffer.allocate(n);
                case ALIGNED_DIRECT -> ByteBuffer.allocateDirect(n + 2 * A).alignedSlice(A).slice(0, n);
                case UNALIGNED_DIRECT -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(n + 2 * A).alignedSlice(A);
                    yield b.slice(8, n);
                }
            };
        }
    }

    private static void write(StagedBytes bytes, byte[] expected, int offset, int n, Random random, Kind kind)
            throws Exception {
        byte[] data = new byte[n];
        random.nextBytes(data);
        System.arraycopy(data, 0, expected, offset, n);
        ByteBuffer b = kind.allocate(n);
        b.put(data).flip();
        bytes.write(b, offset);
        assertFalse(b.hasRemaining());
    }

    private static byte[] readAll(StagedBytes bytes, int n, Kind kind) throws Exception {
        int whole = (n + A - 1) / A * A;
        ByteBuffer b = kind.allocate(whole);
        long at = 0;
        while (b.hasRemaining()) {
            int r = bytes.read(b, at);
            if (r < 0) {
                break;
            }
            at += r;
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }
}

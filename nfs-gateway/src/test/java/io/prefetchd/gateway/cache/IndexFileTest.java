package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexFileTest {
    private static final int GRAIN = 4096;

    @TempDir
    Path dir;

    /** What a sink heard, one line per call. */
    private static final class Heard implements IndexFile.Sink {
        final List<String> calls = new ArrayList<>();

        @Override
        public void added(long idHigh, long idLow, long start, int length, int headerBytes, boolean recent) {
            calls.add("+" + idHigh + "/" + idLow + "@" + start + "+" + length + " h" + headerBytes + (recent ? " r" : ""));
        }

        @Override
        public void removed(long idHigh, long idLow, long start, int length) {
            calls.add("-" + idHigh + "/" + idLow + "@" + start + "+" + length);
        }
    }

    private IndexFile checkpointOfTwo(long generation) throws IOException {
        return IndexFile.checkpoint(dir, GRAIN, generation, out -> {
            out.put(1, 2, 0, 4096, 90, false);
            out.put(-1, Long.MIN_VALUE, (1L << 44) + 4096, 1, 65535, true);
        }, true);
    }

    private IndexFile.Loaded load(Heard heard) throws Exception {
        return IndexFile.load(dir, GRAIN, heard);
    }

    @Test
    void load_withoutAnIndex_isNull() throws Exception {
        assertNull(load(new Heard()));
    }

    @Test
    void checkpointAndJournal_roundTrip() throws Exception {
        try (IndexFile index = checkpointOfTwo(7)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80);
            index.append(IndexFile.REMOVED, 1, 2, 0, 4096, 90);
        }
        Heard heard = new Heard();

        IndexFile.Loaded loaded = load(heard);

        assertEquals(new IndexFile.Loaded(7, false, 2, 2, 0, 2), loaded);
        assertEquals(List.of("+1/2@0+4096 h90", "+-1/" + Long.MIN_VALUE + "@" + ((1L << 44) + 4096) + "+1 h65535 r",
                "+3/4@8192+100 h80", "-1/2@0+4096"), heard.calls);
    }

    @Test
    void journal_tornLastRecord_isDroppedAndCutOffWhenReopened() throws Exception {
        try (IndexFile index = checkpointOfTwo(1)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80);
        }
        Path journal = dir.resolve(IndexFile.JOURNAL);
        Files.write(journal, new byte[] {1, 0, 0, 80, 0, 0, 0}, StandardOpenOption.APPEND); // a record cut short

        Heard heard = new Heard();
        IndexFile.Loaded loaded = load(heard);

        assertEquals(1, loaded.journalRecords());
        assertEquals(1, loaded.tornRecords());
        assertEquals(1, loaded.appendAt());
        assertEquals(3, heard.calls.size());
        try (IndexFile index = IndexFile.openJournal(dir, loaded.generation(), loaded.appendAt())) {
            index.append(IndexFile.REMOVED, 3, 4, 8192, 100, 80);
        }
        Heard again = new Heard();
        assertEquals(new IndexFile.Loaded(1, false, 2, 2, 0, 2), load(again));
        assertEquals("-3/4@8192+100", again.calls.get(3));
    }

    @Test
    void journal_recordWithBadChecksum_endsTheReplay() throws Exception {
        try (IndexFile index = checkpointOfTwo(1)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80);
            index.append(IndexFile.ADDED, 5, 6, 8192, 100, 80);
        }
        flipByte(dir.resolve(IndexFile.JOURNAL), 32 + 10); // inside the first record

        IndexFile.Loaded loaded = load(new Heard());

        assertEquals(0, loaded.journalRecords());
        assertEquals(2, loaded.tornRecords());
    }

    @Test
    void journal_ofAnotherGeneration_isIgnored() throws Exception {
        try (IndexFile index = checkpointOfTwo(1)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80);
        }
        Path old = Files.copy(dir.resolve(IndexFile.JOURNAL), dir.resolve("old-journal"));
        checkpointOfTwo(2).close();
        Files.move(old, dir.resolve(IndexFile.JOURNAL), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        Heard heard = new Heard();
        assertEquals(new IndexFile.Loaded(2, false, 2, 0, 0, IndexFile.NEW_JOURNAL), load(heard),
                "a new journal must be started");
        assertEquals(2, heard.calls.size());
    }

    @Test
    void journal_startedAfterAnIgnoredOne_isReplayed() throws Exception {
        checkpointOfTwo(3).close();
        Files.delete(dir.resolve(IndexFile.JOURNAL));
        assertEquals(IndexFile.NEW_JOURNAL, load(new Heard()).appendAt());

        try (IndexFile index = IndexFile.startJournal(dir, GRAIN, 3)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80);
        }

        assertEquals(new IndexFile.Loaded(3, false, 2, 1, 0, 1), load(new Heard()));
    }

    @Test
    void crashWhileACheckpointIsWritten_replaysBothJournals() throws Exception {
        try (IndexFile index = checkpointOfTwo(4)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80);
        }
        try (IndexFile next = IndexFile.startNextJournal(dir, GRAIN, 5)) { // the checkpoint of 5 never lands
            next.append(IndexFile.REMOVED, 3, 4, 8192, 100, 80);
        }
        Heard heard = new Heard();

        IndexFile.Loaded loaded = load(heard);

        assertEquals(new IndexFile.Loaded(4, false, 2, 2, 0, IndexFile.NEW_CHECKPOINT), loaded);
        assertEquals(List.of("+3/4@8192+100 h80", "-3/4@8192+100"), heard.calls.subList(2, 4));
    }

    @Test
    void crashAfterAFuzzyCheckpointLanded_replaysOnlyTheNextJournal() throws Exception {
        try (IndexFile index = checkpointOfTwo(4)) {
            index.append(IndexFile.ADDED, 3, 4, 8192, 100, 80); // already in the fuzzy checkpoint below
        }
        try (IndexFile next = IndexFile.startNextJournal(dir, GRAIN, 5)) {
            next.append(IndexFile.ADDED, 5, 6, 0, 10, 80);
        }
        IndexFile.install(dir, IndexFile.write(dir, "fuzzy.tmp", GRAIN, 5, true,
                out -> out.put(3, 4, 8192, 100, 80, false), false));
        Heard heard = new Heard();

        IndexFile.Loaded loaded = load(heard);

        assertEquals(new IndexFile.Loaded(5, true, 1, 1, 0, IndexFile.NEW_CHECKPOINT), loaded);
        assertEquals(List.of("+3/4@8192+100 h80", "+5/6@0+10 h80"), heard.calls);
    }

    @Test
    void checkpoint_withAFlippedByte_isCorrupt() throws Exception {
        checkpointOfTwo(1).close();
        flipByte(dir.resolve(IndexFile.CHECKPOINT), 40);

        assertThrows(IndexFile.CorruptIndexException.class, () -> load(new Heard()));
    }

    @Test
    void checkpoint_truncated_isCorrupt() throws Exception {
        checkpointOfTwo(1).close();
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve(IndexFile.CHECKPOINT).toFile(), "rw")) {
            file.setLength(file.length() - 20);
        }

        assertThrows(IndexFile.CorruptIndexException.class, () -> load(new Heard()));
    }

    @Test
    void checkpoint_ofAnotherGrain_isNotUsed() throws Exception {
        checkpointOfTwo(1).close();

        assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.load(dir, 2 * GRAIN, new Heard()));
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0xFF);
        }
    }
}

package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.Owner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The staging journal's records, replay and cut of a torn tail. */
class JournalTest {
    private static final Owner OWNER = new Owner(1000, 100, 0640);
    private static final Instant T = Instant.parse("2026-01-01T00:00:00.123456789Z");

    @TempDir
    Path dir;

    private static List<Journal.Record> everyKind() {
        return List.of(
                new Journal.Boot(3, 17),
                new Journal.Create(5, "models/ckpt.pt", OWNER, T, null, true, 42L),
                new Journal.Create(6, "logs/x", null, T, "etag-1", true, null),
                new Journal.Attrs(5, new Owner(0, 0, 0600), T.plusSeconds(1)),
                new Journal.Rename(5, "models/final.pt"),
                new Journal.Base(6, "etag-2"),
                new Journal.Drop(6),
                new Journal.Known("models/final.pt", new ObjectAttributes("e", OWNER, T)),
                new Journal.Known("models", new ObjectAttributes(null, OWNER, T)),
                new Journal.Known("gone", null),
                new Journal.DirRename("a", "b"),
                new Journal.DirRenameDone("a"),
                new Journal.Multipart("data/models/ckpt.pt", "upload-1"),
                new Journal.MultipartDone("upload-1"));
    }

    private List<Journal.Record> replay(Path file) throws IOException {
        List<Journal.Record> seen = new ArrayList<>();
        Journal.open(file, seen::add).close();
        return seen;
    }

    @Test
    void everyRecord_replaysAsWritten() throws IOException {
        Path file = dir.resolve("journal");
        try (Journal j = Journal.open(file, r -> { })) {
            j.appendAndForce(everyKind().toArray(new Journal.Record[0]));
        }

        assertEquals(everyKind(), replay(file));
    }

    @Test
    void aRecordWithABadChecksum_endsTheReplay_andIsCutSoAppendsFollowTheGoodOnes() throws IOException {
        Path file = dir.resolve("journal");
        try (Journal j = Journal.open(file, r -> { })) {
            j.appendAndForce(new Journal.Drop(1), new Journal.Drop(2));
        }
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x55}), size - 1);   // flip the last record's last byte
        }

        try (Journal j = Journal.open(file, r -> { })) {
            j.appendAndForce(new Journal.Drop(3));
        }

        assertEquals(List.of(new Journal.Drop(1), new Journal.Drop(3)), replay(file));
    }

    @Test
    void rewrite_replacesTheJournalByTheSnapshot() throws IOException {
        Path file = dir.resolve("journal");
        try (Journal j = Journal.open(file, r -> { })) {
            j.appendAndForce(new Journal.Drop(1), new Journal.Drop(2));
            j.rewrite(List.of(new Journal.Boot(1, 9)));
            j.appendAndForce(new Journal.Drop(3));
        }

        assertEquals(List.of(new Journal.Boot(1, 9), new Journal.Drop(3)), replay(file));
    }
}

package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The attributes shown for names the gateway wrote: change attributes, known owners, SETATTR's owner changes. */
class ShownAttributesTest {
    private static final Owner ALICE = new Owner(1000, 1000, 0644);
    private static final Owner BOB = new Owner(2000, 2000, 0600);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock();
    private StagingArea area;
    private ShownAttributes shown;

    @BeforeEach
    void setUp() {
        area = StagingArea.open(tmp.resolve("staging"), 1 << 20, clock);
        shown = new ShownAttributes(area, inode -> inode.path().hashCode());
    }

    @AfterEach
    void tearDown() {
        area.close();
    }

    private static NewAttributes mode(int mode) {
        return new NewAttributes(OptionalLong.empty(), Optional.of(mode), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    private static FileAttributes file(String etag) {
        return new FileAttributes(FileType.REGULAR, 7, 42, 99, T0, etag, ALICE);
    }

    @Test
    void changed_replacesOnlyWhatIsSet_andKeepsThePermissionBitsOfTheMode() {
        assertEquals(new Owner(1000, 1000, 0755), ShownAttributes.changed(ALICE, mode(0100755)));
        assertEquals(ALICE, ShownAttributes.changed(ALICE, NewAttributes.NONE));
    }

    @Test
    void staged_changeAttribute_isNewForEveryVersionOfTheFile() throws FsException {
        StagedFile f = area.create("models/ckpt.pt", ALICE, T0, null, true, null);
        long created = shown.staged(f).change();
        f.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}), false, T0.plusSeconds(1));
        FileAttributes written = shown.staged(f);

        assertNotEquals(created, written.change());
        assertEquals(3, written.size());
        assertEquals(f.etag, written.etag());
        assertEquals(ALICE, written.owner());
    }

    @Test
    void object_changeAttribute_followsTheEtagAndTheSize() {
        Inode inode = new Inode(FileType.REGULAR, "models/ckpt.pt");
        long a = shown.object(inode, new ObjectMeta("k", 7, "e1", T0), null).change();

        assertEquals(a, shown.object(inode, new ObjectMeta("k", 7, "e1", T0.plusSeconds(9)), ALICE).change());
        assertNotEquals(a, shown.object(inode, new ObjectMeta("k", 7, "e2", T0), null).change());
        assertNotEquals(a, shown.object(inode, new ObjectMeta("k", 8, "e1", T0), null).change());
    }

    @Test
    void withKnownOwner_ofAFile_appliesOnlyToTheVersionItWasKnownFor() throws FsException {
        area.setKnown("models/ckpt.pt", new ObjectAttributes("e1", BOB, T0.plusSeconds(5)));

        FileAttributes known = shown.withKnownOwner("models/ckpt.pt", file("e1"));
        assertEquals(BOB, known.owner());
        assertEquals(T0.plusSeconds(5), known.mtime());

        FileAttributes other = file("e2");   // written by someone else since
        assertSame(other, shown.withKnownOwner("models/ckpt.pt", other));
    }

    @Test
    void withKnownOwner_ofADirectory_appliesToWhateverTheListingShows() throws FsException {
        area.setKnown("models", new ObjectAttributes(null, BOB, T0.plusSeconds(5)));
        FileAttributes listed = shown.directory(new Inode(FileType.DIRECTORY, "models"), 3, T0, ALICE);

        assertEquals(BOB, shown.withKnownOwner("models", listed).owner());
    }
}

package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** File handles name their object by themselves: no table entry per object, nothing lost to a bounded cache. */
class FileHandlesTest {
    @TempDir
    Path state;

    private static Inode longFile(int i) {
        return new Inode(FileType.REGULAR, "deep/".repeat(30) + "sample_" + i + ".jpg");
    }

    @Test
    void hashedHandle_evictedFromMemory_stillResolvesFromItsFile() throws NfsException {
        FileHandles handles = new FileHandles("bucket/", state, 1);
        byte[] first = handles.encode(longFile(0));
        for (int i = 1; i < 50; i++) {
            handles.encode(longFile(i));
        }

        assertEquals(longFile(0), handles.decode(first));
    }

    @Test
    void hashedHandle_afterRestart_resolves() throws NfsException {
        byte[] fh = new FileHandles("bucket/", state).encode(longFile(7));

        assertEquals(longFile(7), new FileHandles("bucket/", state).decode(fh));
    }

    @Test
    void hashedHandle_neverHandedOut_isStale() {
        FileHandles handles = new FileHandles("bucket/", state, 1);
        byte[] fh = handles.encode(longFile(1));
        fh[fh.length - 1] ^= 1;

        NfsException e = assertThrows(NfsException.class, () -> handles.decode(fh));
        assertEquals(NfsStatus.NFS4ERR_STALE, e.status());
    }

    @Test
    void inlineHandle_needsNoStateAtAll() throws Exception {
        FileHandles handles = new FileHandles("bucket/", state);
        Inode inode = new Inode(FileType.REGULAR, "train/cat/0001.jpg");

        assertEquals(inode, new FileHandles("bucket/", state).decode(handles.encode(inode)));
        try (Stream<Path> files = Files.walk(state)) {
            assertEquals(1, files.count(), "only the state folder itself");
        }
    }

    @Test
    void handlesLogOfAnOlderVersion_movedIntoFilesAndStillResolves() throws Exception {
        Inode inode = longFile(3);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(inode.path().getBytes(StandardCharsets.UTF_8));
        String hash = HexFormat.of().formatHex(Arrays.copyOf(digest, 16));
        Files.writeString(state.resolve("handles.log"), hash + "\t" + inode.path() + "\n");
        byte[] fh = new FileHandles("bucket/", null).encode(inode);   // the same bytes an older version handed out

        FileHandles handles = new FileHandles("bucket/", state);

        assertEquals(inode, handles.decode(fh));
        assertFalse(Files.exists(state.resolve("handles.log")));
    }
}

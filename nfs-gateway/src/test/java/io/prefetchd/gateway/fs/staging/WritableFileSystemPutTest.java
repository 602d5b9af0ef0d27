package io.prefetchd.gateway.fs.staging;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link WritableFileSystem#put}: a whole object made at once, as the S3 endpoint's PUT makes it. */
class WritableFileSystemPutTest {
    private static final Owner DEFAULT_FILE = new Owner(0, 0, 0666);

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore objects = new InMemoryObjectStore("bucket", clock);
    private final WritableStore store = new WritableStore(objects);
    private WritableFileSystem fs;

    @BeforeEach
    void setUp() throws FsException {
        objects.put("data/train/a.bin", bytes("a"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PassThroughCache cache = new PassThroughCache(store);
        S3FileSystem base = new S3FileSystem(store, "data/", cache, i -> i.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, meters);
        base.list(Inode.ROOT, 0);   // a listing cached before the put: the put must show through it
        fs = WritableFileSystem.open(base, store, cache, i -> i.path().hashCode(),
                new StagingSettings(tmp.resolve("staging"), 1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(30),
                        5, 4, Duration.ofSeconds(1), Duration.ofSeconds(60)),
                DEFAULT_FILE, new Owner(0, 0, 0777), Duration.ofMinutes(2), clock, Runnable::run, meters);
    }

    @AfterEach
    void tearDown() {
        fs.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path content(String s) throws Exception {
        return Files.write(Files.createTempFile(tmp, "body", ""), bytes(s));
    }

    private List<String> names(String dir) throws FsException {
        return fs.list(new Inode(FileType.DIRECTORY, dir), 0).entries().stream().map(DirEntry::name).toList();
    }

    @Test
    void put_uploadsBeforeItReturns_andNewFoldersShowAtOnce() throws Exception {
        Inode f = new Inode(FileType.REGULAR, "models/run-1/ckpt.pt");
        FileAttributes a = fs.put(f, content("weights"), null, Instant.ofEpochSecond(1000), Map.of("color", "blue"));
        assertArrayEquals(bytes("weights"), objects.contents("data/models/run-1/ckpt.pt").orElseThrow());
        assertEquals(a.etag(), fs.getattr(f).etag());
        assertEquals(DEFAULT_FILE, fs.getattr(f).owner());
        assertEquals(List.of("models", "train"), names(""));
        assertEquals(List.of("ckpt.pt"), names("models/run-1"));
        Map<String, String> meta = store.userMetadata("data/models/run-1/ckpt.pt").orElseThrow();
        assertEquals("blue", meta.get("color"));
        assertEquals("1000", meta.get("mtime"));
        assertArrayEquals(bytes("weights"), fs.read(f, fs.getattr(f), 0, 100).data());
    }

    @Test
    void put_replacesAnObject_withTheOwnerGiven() throws Exception {
        Inode f = new Inode(FileType.REGULAR, "train/a.bin");
        fs.put(f, content("new a"), new Owner(1000, 1000, 0600), Instant.ofEpochSecond(5), Map.of());
        assertArrayEquals(bytes("new a"), fs.read(f, fs.getattr(f), 0, 100).data());
        assertEquals(new Owner(1000, 1000, 0600), fs.getattr(f).owner());
    }

    @Test
    void put_onAFolderOrBelowAFile_refused_nothingUploaded() throws Exception {
        FsException folder = assertThrows(FsException.class,
                () -> fs.put(new Inode(FileType.REGULAR, "train"), content("x"), null, Instant.EPOCH, Map.of()));
        assertEquals(FsError.ISDIR, folder.error());
        FsException below = assertThrows(FsException.class, () -> fs.put(new Inode(FileType.REGULAR,
                "train/a.bin/x"), content("x"), null, Instant.EPOCH, Map.of()));
        assertEquals(FsError.NOTDIR, below.error());
        assertEquals(0, store.uploads.get());
    }

    @Test
    void put_whileTheNameIsBeingWrittenThroughNfs_theStagedFileGoesOnBeingShown() throws Exception {
        Inode dir = new Inode(FileType.DIRECTORY, "train");
        Inode f = fs.create(dir, "b.bin", new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE),
                new Owner(1000, 1000, 0644));
        fs.write(f, 0, ByteBuffer.wrap(bytes("nfs")), true);
        fs.put(f, content("s3 put"), null, Instant.EPOCH, Map.of());
        assertArrayEquals(bytes("s3 put"), objects.contents("data/train/b.bin").orElseThrow());
        assertArrayEquals(bytes("nfs"), fs.read(f, fs.getattr(f), 0, 100).data(), "the last writer wins");
    }
}

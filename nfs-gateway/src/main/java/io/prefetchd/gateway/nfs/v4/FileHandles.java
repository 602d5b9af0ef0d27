package io.prefetchd.gateway.nfs.v4;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import static java.util.Objects.requireNonNull;

/**
 * File handles that survive a gateway restart.
 *
 * <p>A live mount keeps using its handles after the server restarts (the Linux client never looks names up
 * again), so a handle must name its object by itself, not by an in-memory table. Layout (at most 128 bytes,
 * RFC 8881 NFS4_FHSIZE):
 * <pre>
 *   0      'P'  magic
 *   1      1    layout version
 *   2      type 1 = regular file, 2 = directory
 *   3      form 0 = path inline, 1 = path hashed
 *   4..7   export id (hash of bucket and prefix): a handle from another export is stale
 *   8..    inline: the path's UTF-8 bytes (at most 120); hashed: 16 bytes of SHA-256 of the path
 * </pre>
 * Paths longer than 120 bytes are hashed. The hash-to-path mapping is written (and forced) to its own small file,
 * {@code handles/<first two hex digits>/<hash>} in the state folder, before the handle is handed out, so such
 * handles survive restarts too; the heap holds only a bounded cache of recent ones, and a hash evicted from it is
 * read back from its file. So neither inline nor hashed handles cost heap per object ever handed out. (A
 * {@code handles.log} of an older version is moved into that folder at start.)
 *
 * <p>Thread-safe.
 */
public final class FileHandles {
    private static final byte MAGIC = 'P';
    private static final byte LAYOUT = 1;
    private static final int HEADER = 8;
    static final int MAX_INLINE = Nfs4.FHSIZE - HEADER;
    private static final int HASH_BYTES = 16;

    /** Hashed paths held in memory; the rest are read from their files. */
    static final int HASHED_CACHE_SIZE = 100_000;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final int exportId;
    /** Folder of the hash-to-path files; null keeps every hashed path in memory (tests). */
    private final @Nullable Path hashDir;   // null: handles are kept in memory only
    private final Cache<String, String> recent;
    private final Map<String, String> inMemoryOnly = new ConcurrentHashMap<>();

    /**
     * @param exportName identity of the export (bucket and prefix)
     * @param stateDir folder for the hashed paths' files; null keeps them in memory only (tests)
     */
    public FileHandles(String exportName, @Nullable Path stateDir) {
        this(exportName, stateDir, HASHED_CACHE_SIZE);
    }

    /** As {@link #FileHandles(String, Path)}, holding at most {@code cachedHashes} hashed paths in memory. */
    FileHandles(String exportName, @Nullable Path stateDir, int cachedHashes) {
        this.exportId = (int) fileIdOf("export:" + exportName);
        this.hashDir = stateDir == null ? null : stateDir.resolve("handles");
        this.recent = Caffeine.newBuilder().maximumSize(cachedHashes).build();
        if (stateDir != null) {
            migrateLog(stateDir.resolve("handles.log"));
        }
    }

    public byte[] encode(Inode inode) {
        byte[] path = inode.path().getBytes(StandardCharsets.UTF_8);
        boolean inline = path.length <= MAX_INLINE;
        byte[] payload = inline ? path : Arrays.copyOf(sha256(inode.path()), HASH_BYTES);
        if (!inline) {
            remember(HexFormat.of().formatHex(payload), inode.path());
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
        b.put(MAGIC).put(LAYOUT).put((byte) (inode.isDirectory() ? 2 : 1)).put((byte) (inline ? 0 : 1));
        b.putInt(exportId).put(payload);
        return b.array();
    }

    /**
     * @throws NfsException NFS4ERR_BADHANDLE when the bytes are not a prefetchd handle, NFS4ERR_STALE when it
     *                      belongs to another export or names a path this gateway no longer knows
     */
    public Inode decode(byte[] fh) throws NfsException {
        if (fh.length < HEADER || fh[0] != MAGIC || fh[1] != LAYOUT || (fh[2] != 1 && fh[2] != 2)
                || (fh[3] != 0 && fh[3] != 1)) {
            throw new NfsException(NfsStatus.NFS4ERR_BADHANDLE, "not a prefetchd file handle");
        }
        if (ByteBuffer.wrap(fh, 4, 4).getInt() != exportId) {
            throw new NfsException(NfsStatus.NFS4ERR_STALE, "file handle of another export");
        }
        FileType type = fh[2] == 2 ? FileType.DIRECTORY : FileType.REGULAR;
        String path;
        if (fh[3] == 0) {
            path = new String(fh, HEADER, fh.length - HEADER, StandardCharsets.UTF_8);
        } else {
            if (fh.length != HEADER + HASH_BYTES) {
                throw new NfsException(NfsStatus.NFS4ERR_BADHANDLE, "hashed file handle of wrong length");
            }
            path = hashedPath(HexFormat.of().formatHex(fh, HEADER, fh.length));
            if (path == null) {
                throw new NfsException(NfsStatus.NFS4ERR_STALE, "unknown hashed file handle");
            }
        }
        return new Inode(type, path);
    }

    /** A stable, non-zero 63-bit file id for a path: the inode number the client shows. */
    public long fileId(Inode inode) {
        return fileIdOf(exportId + ":" + inode.path());
    }

    public long exportId() {
        return exportId & 0xffffffffL;
    }

    private static long fileIdOf(String s) {
        long v = ByteBuffer.wrap(sha256(s)).getLong() & Long.MAX_VALUE;
        return v == 0 ? 1 : v;
    }

    private static byte[] sha256(String s) {
        return SHA256.get().digest(s.getBytes(StandardCharsets.UTF_8));
    }

    private @Nullable String hashedPath(String hash) {
        if (hashDir == null) {
            return inMemoryOnly.get(hash);
        }
        String held = recent.getIfPresent(hash);
        if (held != null) {
            return held;
        }
        try {
            String path = new String(Files.readAllBytes(fileOf(hash)), StandardCharsets.UTF_8);
            recent.put(hash, path);
            return path;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read file handle " + fileOf(hash), e);
        }
    }

    private Path fileOf(String hash) {
        return requireNonNull(hashDir, "handle files are kept only with a state directory")
                .resolve(hash.substring(0, 2)).resolve(hash);
    }

    /** Makes {@code hash} resolvable, on disk before the handle is handed out. */
    private void remember(String hash, String path) {
        if (hashDir == null) {
            inMemoryOnly.putIfAbsent(hash, path);
            return;
        }
        if (recent.getIfPresent(hash) != null) {
            return;
        }
        Path file = fileOf(hash);
        if (!Files.exists(file)) {
            write(file, path);
        }
        recent.put(hash, path);
    }

    /** Writes the file whole under a temporary name, forces it, then moves it into place (never half written). */
    private static void write(Path file, String path) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + "." + Thread.currentThread().getId() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(path.getBytes(StandardCharsets.UTF_8)));
                ch.force(false);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                Files.deleteIfExists(tmp);   // another thread recorded the same path
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record file handle in " + file, e);
        }
    }

    /** Moves the hashed paths of an older version's {@code handles.log} into their files, then removes it. */
    private void migrateLog(Path log) {
        if (!Files.exists(log)) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (String line : lines) {
                int tab = line.indexOf('\t');
                if (tab > 0) {
                    String hash = line.substring(0, tab);
                    if (!Files.exists(fileOf(hash))) {
                        write(fileOf(hash), unescape(line.substring(tab + 1)));
                    }
                }
            }
            Files.delete(log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + log + " into " + hashDir, e);
        }
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 'n' ? '\n' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}

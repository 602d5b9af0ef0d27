package io.prefetchd.gateway.cache;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block files of one cache folder: where each block's file is, writing one (to a temporary file, renamed into
 * place), reading and deleting one, and listing them all when the index is lost.
 *
 * <pre>
 *   dir/.lock                                          held (FileChannel lock) while a cache has dir open
 *   dir/v2-g&lt;grain&gt;/ab/cd/&lt;32 hex&gt;-&lt;start&gt;-&lt;length&gt;.blk   one block: header + data ({@link BlockFormat})
 *   dir/v2-g&lt;grain&gt;/tmp/...blk.&lt;n&gt;.tmp                     a block being written
 *   dir/v2-g&lt;grain&gt;/index, journal                     the index: checkpoint and journal ({@link IndexFile})
 * </pre>
 * The 32 hex digits are the {@link ObjectId}, and {@code ab/cd} are its first four, a fan-out of 65,536 folders
 * made on first use and never removed. A block is written to a temporary file which is then renamed into place, so
 * a block file is either absent or complete as written. There is no fsync of blocks: after a power loss a renamed
 * file may come back empty or torn, and the checksum every read checks catches that. One process (one cache
 * instance) per folder, enforced by a file lock; a folder written with another grain or layout version is deleted
 * on open, and so are leftover temporary files.
 *
 * <p>Thread-safe, but the cache renames into place and deletes block files under its index's lock, so that an
 * evicting thread can never delete a file another thread has just renamed into place.
 */
final class CacheFolder implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(CacheFolder.class);

    /** A block file found by {@link #list()}: its name, size and modification time (no data is read). */
    record Listed(BlockKey key, long size, long mtimeMillis) {
    }

    private final Path root;
    private final int grain;
    private final int shift;
    private final BlockFiles files;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final AtomicLong tempCounter = new AtomicLong();

    private CacheFolder(Path root, int grain, BlockFiles files, FileChannel lockChannel, FileLock dirLock) {
        this.root = root;
        this.grain = grain;
        this.shift = Integer.numberOfTrailingZeros(grain);
        this.files = files;
        this.lockChannel = lockChannel;
        this.dirLock = dirLock;
    }

    /**
     * Locks {@code dir} for this process, deletes folders of other layouts and leftover temporary files, and
     * returns the folder of this grain's layout.
     */
    static CacheFolder open(Path dir, int grain, BlockFiles files) throws IOException {
        Files.createDirectories(dir);
        Path root = dir.resolve(DiskExtentCache.LAYOUT_PREFIX + grain);
        FileChannel lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock acquired;
        try {
            acquired = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            acquired = null;
        }
        if (acquired == null) {
            lockChannel.close();
            throw new IOException("another extent cache has " + dir + " open");
        }
        CacheFolder folder = new CacheFolder(root, grain, files, lockChannel, acquired);
        try {
            folder.removeOtherLayouts(dir);
            Files.createDirectories(root);
            Path temps = root.resolve(DiskExtentCache.TEMP_FOLDER);
            if (Files.isDirectory(temps)) {
                deleteTree(temps); // blocks that were being written when the last run ended
            }
            Files.createDirectories(temps);
        } catch (IOException | RuntimeException e) {
            folder.close();
            throw e;
        }
        return folder;
    }

    /** The layout's folder: blocks, temporary files and the index live under it. */
    Path root() {
        return root;
    }

    Path pathOf(BlockKey key) {
        String hex = key.objectHex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(key.fileName());
    }

    /** The whole block file, unverified. */
    byte[] read(BlockKey key) throws IOException {
        return files.read(pathOf(key));
    }

    /** A new temporary file name for {@code key}'s file, to {@link #write} and then {@link #moveIntoPlace}. */
    Path tempFor(BlockKey key) {
        return root.resolve(DiskExtentCache.TEMP_FOLDER).resolve(key.fileName() + "."
                + tempCounter.incrementAndGet() + BlockFiles.TEMP_SUFFIX);
    }

    /**
     * Creates or truncates {@code tmp} and writes header then data. The temporary folder exists from {@link #open}
     * on; should it have been deleted since, it is made again rather than checked before every block.
     */
    void write(Path tmp, byte[] header, byte[] data) throws IOException {
        try {
            files.write(tmp, header, data);
        } catch (NoSuchFileException e) {
            Files.createDirectories(tmp.getParent());
            files.write(tmp, header, data);
        }
    }

    /** Sets the modification time, which orders blocks should the index be lost and the folders listed. */
    void setLastModified(Path tmp, Instant time) throws IOException {
        files.setLastModified(tmp, time);
    }

    /**
     * Renames a written temporary file into place as {@code key}'s file. Its fan-out folders are made by the first
     * block that needs them (the rename finds them missing), not looked for before every block.
     */
    void moveIntoPlace(Path tmp, BlockKey key) throws IOException {
        Path target = pathOf(key);
        try {
            files.move(tmp, target);
        } catch (NoSuchFileException e) {
            Files.createDirectories(target.getParent());
            files.move(tmp, target);
        }
    }

    /** Deletes the file, logging (not throwing) a failure: a stray file costs disk space, never wrong bytes. */
    void deleteQuietly(Path path) {
        try {
            files.delete(path);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", path, e.toString());
        }
    }

    /**
     * Lists the block files, oldest first (modification time, then name); deletes temporary files and files that
     * cannot be blocks of this layout (misnamed, misplaced, too long or too short).
     */
    List<Listed> list() throws IOException {
        List<Listed> found = new ArrayList<>();
        int temps = 0;
        int strays = 0;
        try (DirectoryStream<Path> level1 = Files.newDirectoryStream(root)) {
            for (Path d1 : level1) {
                if (!Files.isDirectory(d1) || d1.getFileName().toString().equals(DiskExtentCache.TEMP_FOLDER)) {
                    continue;
                }
                try (DirectoryStream<Path> level2 = Files.newDirectoryStream(d1)) {
                    for (Path d2 : level2) {
                        if (!Files.isDirectory(d2)) {
                            continue;
                        }
                        try (DirectoryStream<Path> blocks = Files.newDirectoryStream(d2)) {
                            for (Path file : blocks) {
                                if (file.getFileName().toString().endsWith(BlockFiles.TEMP_SUFFIX)) {
                                    Files.deleteIfExists(file);
                                    temps++;
                                    continue;
                                }
                                Listed block = listed(file);
                                if (block == null) {
                                    log.warn("deleting stray file {} in the cache folder", file);
                                    Files.deleteIfExists(file);
                                    strays++;
                                    continue;
                                }
                                found.add(block);
                            }
                        }
                    }
                }
            }
        }
        found.sort(Comparator.comparingLong(Listed::mtimeMillis)
                .thenComparing(f -> f.key().objectHex())
                .thenComparingLong(f -> f.key().start()));
        log.info("extent cache {}: listed {} blocks; removed {} temp and {} stray files", root, found.size(), temps,
                strays);
        return found;
    }

    /** The block {@code file} holds, or null when it cannot be a block file of this layout. */
    private @Nullable Listed listed(Path file) throws IOException {
        BlockKey key = BlockKey.parse(file.getFileName().toString());
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (key == null || key.length() > grain || key.start() > BlockTable.MAX_START
                || (key.start() >>> shift) != ((key.end() - 1) >>> shift)
                || attributes.size() - key.length() > BlockTable.MAX_HEADER_BYTES
                || attributes.size() <= key.length()
                || !attributes.isRegularFile() || !pathOf(key).equals(file)) {
            return null;
        }
        return new Listed(key, attributes.size(), attributes.lastModifiedTime().toMillis());
    }

    private void removeOtherLayouts(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "v[0-9]*-g*")) {
            for (Path other : entries) {
                if (!other.equals(root) && Files.isDirectory(other)) {
                    log.info("deleting cache folder {} written with another grain or layout version", other);
                    deleteTree(other);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Releases the folder for another process. */
    @Override
    public void close() throws IOException {
        try {
            dirLock.release();
        } finally {
            lockChannel.close();
        }
    }
}

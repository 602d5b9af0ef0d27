package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectMeta;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

/**
 * Collects one directory's files and subdirectories, from a delimiter listing of its prefix or from a flat
 * listing of a whole tree, and turns them into a {@link Listing}. The naming rules live here and nowhere else:
 * names POSIX cannot hold (empty, ".", "..", with '/' or NUL, over 255 bytes) are left out, and a file wins over
 * a directory of the same name.
 *
 * <p>Not thread-safe: one builder is filled and built by one thread.
 */
final class ListingBuilder {
    static final long DIR_SIZE = 4096;
    private static final int MAX_NAME_BYTES = 255;

    private final String dirPath;
    private final TreeMap<String, ObjectMeta> files = new TreeMap<>();
    private final TreeSet<String> dirs = new TreeSet<>();
    private boolean exists;

    /** @param dirPath the directory, relative to the export ("" for the root) */
    ListingBuilder(String dirPath) {
        this.dirPath = requireNonNull(dirPath, "dirPath is null");
    }

    /** Something is under the directory's prefix (an object, a folder marker, a subdirectory). */
    void markExists() {
        exists = true;
    }

    /** An object directly in the directory; left out (but the directory exists) when its name is not valid. */
    void addFile(String name, ObjectMeta meta) {
        exists = true;
        if (validName(name)) {
            files.put(name, meta);
        }
    }

    /** A subdirectory; left out (but the directory exists) when its name is not valid. */
    void addDir(String name) {
        exists = true;
        if (validName(name)) {
            dirs.add(name);
        }
    }

    String child(String name) {
        return dirPath.isEmpty() ? name : dirPath + "/" + name;
    }

    /**
     * @param attributesOf a file's attributes from its path and listing entry
     * @param subListing what is known of a subdirectory (its change attribute and mtime), or null
     * @param fileIds inode numbers
     * @param defaultMtime the mtime of directories with no files
     * @param loadedAt when the listing was read
     */
    Listing build(BiFunction<String, ObjectMeta, FileAttributes> attributesOf, Function<String, Listing> subListing,
                  ToLongFunction<Inode> fileIds, Instant defaultMtime, Instant loadedAt) {
        TreeMap<String, DirEntry> byName = new TreeMap<>();
        Instant newest = null;
        for (Map.Entry<String, ObjectMeta> f : files.entrySet()) {
            String path = child(f.getKey());
            byName.put(f.getKey(), new DirEntry(f.getKey(), new Inode(FileType.REGULAR, path),
                    attributesOf.apply(path, f.getValue())));
            Instant m = f.getValue().lastModified();
            newest = newest == null || m.isAfter(newest) ? m : newest;
        }
        for (String name : dirs) {
            if (byName.containsKey(name)) {
                continue;   // the file wins over the directory of the same name
            }
            Inode inode = new Inode(FileType.DIRECTORY, child(name));
            Listing sub = subListing.apply(inode.path());
            FileAttributes a = sub != null ? dirAttributes(inode, sub, fileIds)
                    : new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(inode),
                            FileAttributes.UNKNOWN_CHANGE, defaultMtime, null);
            byName.put(name, new DirEntry(name, inode, a));
        }
        List<DirEntry> entries = new ArrayList<>(byName.values());
        return new Listing(new DirListing(DirListing.verifierOf(entries), entries), Map.copyOf(byName), exists,
                newest == null ? defaultMtime : newest, loadedAt);
    }

    static FileAttributes dirAttributes(Inode dir, Listing l, ToLongFunction<Inode> fileIds) {
        return new FileAttributes(FileType.DIRECTORY, DIR_SIZE, fileIds.applyAsLong(dir), l.listing().verifier(),
                l.mtime(), null);
    }

    static boolean validName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\0') < 0 && name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES;
    }
}

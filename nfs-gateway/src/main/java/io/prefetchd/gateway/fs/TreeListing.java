package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ObjectMeta;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Builds the listing of every directory under a folder from one flat listing of its prefix, each directory as soon
 * as the listing has moved past it. A flat listing in key order visits a tree depth first (the keys under
 * {@code a/b/} are contiguous), so only the directories on the path of the current key are open, and what is
 * held on the heap while a dataset of millions of objects is listed is the largest directory, not the dataset.
 *
 * <p>A finished directory's listing is the one it had before when its entries are the same ({@code previous}),
 * else it is written to a {@link NamesFile} (when there is one) or kept as built. When any directory changed, the
 * unchanged ones are written to the new file as well, so that a file is never kept mapped by a few old listings. A key that comes back to a
 * directory already finished (a store that does not list in key order) ends the walk with {@link OutOfOrder}; a
 * walk with {@code closeEarly} off keeps every directory open until {@link #finish} and takes any order.
 *
 * <p>Not thread-safe: one walk is fed by one thread.
 */
final class TreeListing {
    /** A key came back to a directory already finished: the store does not list in key order. */
    static final class OutOfOrder extends Exception {
        OutOfOrder(String message) {
            super(message, null, false, false);
        }
    }

    private final ToLongFunction<Inode> fileIds;
    private final Instant defaultMtime;
    private final Instant listedAt;
    private final boolean closeEarly;
    private final Function<String, @Nullable Listing> previous;
    private final @Nullable NamesFile file;
    private final ListingBuilder root;
    /** Every open directory, by path. */
    private final Map<String, ListingBuilder> open = new HashMap<>();
    /** With {@code closeEarly}: the open directories below the folder, each one level below the one before. */
    private final List<ListingBuilder> path = new ArrayList<>();
    private final Map<String, ListingBuilder.Subdir> finished = new HashMap<>();
    private final Map<String, Listing> kept = new HashMap<>();

    /**
     * @param root the folder, relative to the export
     * @param previous the listing a directory had before, or null
     * @param file where new listings go, or null to keep them on the heap
     */
    TreeListing(String root, ToLongFunction<Inode> fileIds, Instant defaultMtime, Instant listedAt,
                boolean closeEarly, Function<String, @Nullable Listing> previous, @Nullable NamesFile file) {
        this.fileIds = fileIds;
        this.defaultMtime = defaultMtime;
        this.listedAt = listedAt;
        this.closeEarly = closeEarly;
        this.previous = previous;
        this.file = file;
        this.root = new ListingBuilder(root);
        open.put(root, this.root);
    }

    /** A subdirectory of the folder itself, from a delimiter listing. */
    void addCommonPrefix(String name) {
        root.addDir(name);
    }

    /**
     * An object, {@code rel} being its key below the folder's prefix; keys with a name POSIX cannot hold are left
     * out (their directory exists). A key ending in '/' is a folder marker.
     *
     * @throws OutOfOrder with {@code closeEarly}, when the key is in a directory already finished
     * @throws IOException when a finished directory cannot be written to the file
     */
    void add(String rel, ObjectMeta m) throws OutOfOrder, IOException {
        String[] parts = rel.split("/", -1);
        ListingBuilder dir = root;
        for (int i = 0; i < parts.length - 1; i++) {
            if (!ListingBuilder.validName(parts[i])) {
                dir.markExists();
                return;
            }
            dir.addDir(parts[i]);
            dir = enter(dir.child(parts[i]), i);
        }
        String name = parts[parts.length - 1];
        if (name.isEmpty()) {
            dir.markExists();   // a folder marker
        } else {
            dir.addFile(name, m);
        }
    }

    /**
     * Finishes every directory still open. Returns every directory's listing, by path: those unchanged from
     * {@code previous}, then those built, read from the file once it is finished.
     */
    Map<String, Listing> finish() throws IOException {
        List<ListingBuilder> all = new ArrayList<>(open.values());
        all.sort((a, b) -> Integer.compare(depth(b.path()), depth(a.path())));   // deepest first
        for (ListingBuilder b : all) {
            close(b);
        }
        open.clear();
        path.clear();
        if (file != null) {
            if (!file.isEmpty()) {
                // something changed: the unchanged listings are written anew too, so that every listing of the
                // folder comes from this one file and the older files are freed once their listings are dropped
                for (Map.Entry<String, Listing> e : List.copyOf(kept.entrySet())) {
                    if (NamesFile.fits(e.getValue())) {
                        file.add(e.getValue());
                        kept.remove(e.getKey());
                    }
                }
            }
            kept.putAll(file.finish());
        }
        return kept;
    }

    /** The open builder of {@code dir}, {@code level} levels below the folder (0 for its own subdirectories). */
    private ListingBuilder enter(String dir, int level) throws OutOfOrder, IOException {
        ListingBuilder b = open.get(dir);
        if (b != null) {
            return b;
        }
        if (closeEarly) {
            if (finished.containsKey(dir)) {
                throw new OutOfOrder("a key of /" + dir + " is listed after keys that sort after it");
            }
            while (path.size() > level) {   // the listing has moved past these: finish them, deepest first
                ListingBuilder done = path.remove(path.size() - 1);
                open.remove(done.path());
                close(done);
            }
        }
        b = new ListingBuilder(dir);
        open.put(dir, b);
        if (closeEarly) {
            path.add(b);
        }
        return b;
    }

    private void close(ListingBuilder b) throws IOException {
        Listing built = b.build(finished::get, fileIds, defaultMtime, listedAt);
        finished.put(b.path(), ListingBuilder.Subdir.of(built));
        Listing before = previous.apply(b.path());
        if (before != null && same(before, built)) {
            kept.put(b.path(), before);
        } else if (file != null && NamesFile.fits(built)) {
            file.add(built);
        } else {
            kept.put(b.path(), built);
        }
    }

    private static boolean same(Listing a, Listing b) {
        return a.exists() == b.exists() && a.mtime().equals(b.mtime())
                && a.listing().entries() instanceof PackedEntries pa
                && b.listing().entries() instanceof PackedEntries pb && pa.sameEntries(pb);
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : (int) path.chars().filter(c -> c == '/').count() + 1;
    }
}

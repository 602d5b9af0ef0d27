package io.prefetchd.gateway.fs;

import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The names of indexed datasets, held whole: every directory under a dataset's folder, listed in bulk by one
 * paged flat LIST of its prefix. LOOKUP, GETATTR, OPEN and READDIR under a dataset are answered from here without
 * a request to S3; {@link #refreshDue} lists each dataset again every {@code datasetRefresh}, and a dataset whose
 * objects changed (added, removed, another ETag or size) is reported to its change callback so its sample index
 * is rebuilt too. A read that finds an object replaced or gone {@link #flag flags} its dataset for the next refresh
 * round (within a second), so readers do not keep opening a version S3 no longer has. While those refreshes fail
 * (S3 unreachable), the last listing is served for up to {@code maxStale}.
 *
 * <p><b>Memory.</b> With {@link MetadataSettings#namesDir} set, each listing of a dataset is moved to a mapped
 * file ({@link NamesFile}) once built, so what stays on the heap is one small object per directory. A refresh
 * that lists the same names, ETags, sizes and mtimes keeps the listings it has and writes nothing. While a
 * dataset is listed, its listings are built on the heap first (about 60 bytes per object, freed once written).
 *
 * <p>Thread-safe: pins and refreshes are serialized on this object; lookups read concurrent maps.
 */
final class DatasetNamespaces {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetNamespaces.class);
    private static final int PAGE = 1000;

    /** A pinned directory and the dataset folder it was listed with. */
    private record Pinned(Listing listing, String root) {
    }

    /**
     * @param fingerprint of the keys, ETags and sizes: what the dataset's index depends on
     * @param names of those and the objects' mtimes: what the listings show
     */
    private record Root(String path, boolean recursive, Runnable onChange, Instant loadedAt, long fingerprint,
                        long names, Set<String> dirs, boolean failing) {
        Root listedAt(Instant when) {
            return new Root(path, recursive, onChange, when, fingerprint, names, dirs, false);
        }

        Root failingNow() {
            return new Root(path, recursive, onChange, loadedAt, fingerprint, names, dirs, true);
        }
    }

    private record Snapshot(Map<String, Listing> dirs, long fingerprint, long names) {
    }

    private final ObjectStore store;
    private final Function<String, String> dirPrefix;
    private final ToLongFunction<Inode> fileIds;
    private final Instant defaultMtime;
    private final Clock clock;
    private final MetadataSettings settings;
    private final Map<String, Root> roots = new ConcurrentHashMap<>();
    private final Map<String, Pinned> dirs = new ConcurrentHashMap<>();
    /** Dataset folders to list again at the next {@link #refreshDue}, whatever their age. */
    private final Set<String> flagged = ConcurrentHashMap.newKeySet();
    /** Where listings are moved off the heap ({@link NamesFile}); null to keep them on the heap. */
    private final @Nullable Path namesDir;

    DatasetNamespaces(ObjectStore store, Function<String, String> dirPrefix,
                      ToLongFunction<Inode> fileIds,
                      Instant defaultMtime, Clock clock, MetadataSettings settings) {
        this.store = requireNonNull(store, "store is null");
        this.dirPrefix = requireNonNull(dirPrefix, "dirPrefix is null");
        this.fileIds = requireNonNull(fileIds, "fileIds is null");
        this.defaultMtime = requireNonNull(defaultMtime, "defaultMtime is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.namesDir = usable(settings.namesDir());
    }

    private static @Nullable Path usable(@Nullable Path dir) {
        if (dir == null) {
            return null;
        }
        try {
            NamesFile.sweep(dir);
            return dir;
        } catch (IOException e) {
            LOG.warn("dataset names are held on the heap: folder {} cannot be used: {}", dir, e.toString());
            return null;
        }
    }

    /** The directory's listing when a dataset holds it and its last listing is within {@code maxStale}. */
    @Nullable Listing listing(String dirPath) {
        Pinned p = dirs.get(dirPath);
        if (p == null) {
            return null;
        }
        Root r = roots.get(p.root());
        if (r == null || Duration.between(r.loadedAt(), clock.instant()).compareTo(settings.maxStale()) > 0) {
            return null;
        }
        return p.listing();
    }

    /** The dataset folders held, sorted. */
    List<String> roots() {
        return roots.keySet().stream().sorted().toList();
    }

    /** Whether {@code dirPath} is held here (for metrics: answers that never asked S3). */
    boolean holds(String dirPath) {
        return listing(dirPath) != null;
    }

    /**
     * Lists {@code root} (every level below it when {@code recursive}, else its own entries) and holds it from now
     * on. A folder already held (or inside a folder held recursively) is left as it is.
     *
     * @throws ObjectStoreException when the listing fails
     */
    synchronized void pin(String root, boolean recursive, Runnable onChange) {
        for (Root r : roots.values()) {
            if (r.path().equals(root) && (r.recursive() || !recursive)
                    || r.recursive() && (r.path().isEmpty() || root.startsWith(r.path() + "/"))) {
                return;
            }
        }
        Instant started = clock.instant();
        Snapshot s = list(root, recursive);
        apply(new Root(root, recursive, onChange, started, s.fingerprint(), s.names(),
                Set.copyOf(s.dirs().keySet()), false), s, null);
        LOG.info("holding the names of dataset folder /{}: {} folders, listed in bulk every {}{}", root,
                s.dirs().size(), settings.datasetRefresh(), namesDir != null ? ", read from " + namesDir : "");
    }

    /**
     * Asks for the dataset folder holding {@code dirPath} to be listed again soon: a read found one of its objects
     * replaced or gone, so its names are out of date. No-op outside datasets.
     */
    void flag(String dirPath) {
        Pinned p = dirs.get(dirPath);
        if (p != null) {
            flagged.add(p.root());
        }
    }

    /** Lists again every dataset folder whose last listing is {@code datasetRefresh} old, or that was flagged. */
    void refreshDue() {
        Instant now = clock.instant();
        for (Root r : List.copyOf(roots.values())) {
            if (flagged.remove(r.path())
                    || Duration.between(r.loadedAt(), now).compareTo(settings.datasetRefresh()) >= 0) {
                try {
                    refresh(r.path());
                } catch (ObjectStoreException e) {
                    // logged once per failing streak by refresh; the last listing is served meanwhile
                }
            }
        }
    }

    /** Lists one dataset folder again now; on failure the last listing stays. */
    synchronized void refresh(String root) {
        Root old = roots.get(root);
        if (old == null) {
            return;
        }
        Instant started = clock.instant();
        Snapshot s;
        try {
            s = list(root, old.recursive());
        } catch (ObjectStoreException e) {
            if (!old.failing()) {
                LOG.warn("the names of dataset folder /{} could not be listed again; serving the listing of {} "
                        + "(up to {} old): {}", root, old.loadedAt(), settings.maxStale(), e.getMessage());
                roots.put(root, old.failingNow());
            }
            throw e;
        }
        if (s.names() == old.names()) {
            roots.put(root, old.listedAt(started));   // the same names: the listings held stay
        } else {
            apply(new Root(root, old.recursive(), old.onChange(), started, s.fingerprint(), s.names(),
                    Set.copyOf(s.dirs().keySet()), false), s, old);
        }
        if (old.failing()) {
            LOG.info("the names of dataset folder /{} are listed again", root);
        }
        if (s.fingerprint() != old.fingerprint()) {
            LOG.info("dataset folder /{} changed in S3; its index is rebuilt", root);
            old.onChange().run();
        }
    }

    private void apply(Root root, Snapshot s, @Nullable Root old) {
        Map<String, Pinned> fresh = new HashMap<>();
        for (Map.Entry<String, Listing> e : offHeap(root.path(), s.dirs()).entrySet()) {
            fresh.put(e.getKey(), new Pinned(e.getValue(), root.path()));
        }
        dirs.putAll(fresh);
        roots.put(root.path(), root);
        if (old != null) {
            for (String d : old.dirs()) {
                if (!fresh.containsKey(d)) {
                    dirs.computeIfPresent(d, (k, p) -> p.root().equals(root.path()) ? null : p);
                }
            }
        }
    }

    private Snapshot list(String root, boolean recursive) {
        String prefix = dirPrefix.apply(root);
        Map<String, ListingBuilder> builders = new HashMap<>();
        builders.put(root, new ListingBuilder(root));
        long fingerprint = 1125899906842597L;
        long names = fingerprint;
        @Nullable String token = null;
        do {
            ListPage page = store.list(prefix, recursive ? null : "/", token, PAGE);
            for (ObjectMeta m : page.objects()) {
                fingerprint = 31 * (31 * (31 * fingerprint + m.key().hashCode()) + m.etag().hashCode())
                        + Long.hashCode(m.size());
                names = 31 * (31 * names + fingerprint) + m.lastModified().hashCode();
                add(builders, root, m.key().substring(prefix.length()), m);
            }
            for (String cp : page.commonPrefixes()) {
                requireNonNull(builders.get(root), "the root's builder is put first")
                        .addDir(cp.substring(prefix.length(), cp.length() - 1));
            }
            token = page.nextToken();
        } while (token != null);
        // deepest first, so that each directory's entry in its parent carries the child's change attribute
        List<String> order = new ArrayList<>(builders.keySet());
        order.sort(Comparator.comparingInt(DatasetNamespaces::depth).reversed());
        Map<String, Listing> built = new HashMap<>();
        Instant now = clock.instant();
        for (String d : order) {
            built.put(d, requireNonNull(builders.get(d), "d is a key of builders")
                    .build(built::get, fileIds, defaultMtime, now));
        }
        return new Snapshot(built, fingerprint, names);
    }

    /** The listings read from a mapped file when a folder for them is set and usable, else as they are. */
    private Map<String, Listing> offHeap(String root, Map<String, Listing> listings) {
        Path dir = namesDir;
        if (dir == null) {
            return listings;
        }
        try {
            return NamesFile.spill(dir, listings);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("the names of dataset folder /{} are held on the heap: they could not be written to {}: {}",
                    root, dir, e.toString());
            return listings;
        }
    }

    /** Bytes of the dataset names held: on the heap, or in mapped files ({@code mapped}). */
    long heldBytes(boolean mapped) {
        long sum = 0;
        for (Pinned p : dirs.values()) {
            if (p.listing().listing().entries() instanceof PackedEntries e && e.mapped() == mapped) {
                sum += mapped ? e.regionBytes() : e.retainedBytes();
            }
        }
        return sum;
    }

    /** Files a key under the directories its path names; keys with a name POSIX cannot hold are left out. */
    private static void add(Map<String, ListingBuilder> builders, String root, String rel, ObjectMeta m) {
        String[] parts = rel.split("/", -1);
        ListingBuilder dir = requireNonNull(builders.get(root), "the root's builder is put first");
        for (int i = 0; i < parts.length - 1; i++) {
            if (!ListingBuilder.validName(parts[i])) {
                dir.markExists();
                return;
            }
            dir.addDir(parts[i]);
            String child = dir.child(parts[i]);
            dir = builders.computeIfAbsent(child, ListingBuilder::new);
        }
        String name = parts[parts.length - 1];
        if (name.isEmpty()) {
            dir.markExists();   // a folder marker
        } else {
            dir.addFile(name, m);
        }
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : (int) path.chars().filter(c -> c == '/').count() + 1;
    }
}

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
 * file ({@link NamesFile}) as soon as the listing has moved past it ({@link TreeListing}), so what stays on the
 * heap is one small object per directory, and what a listing holds while it runs is about the largest directory.
 * A refresh that finds nothing changed keeps the listings it has and writes nothing; one that finds a change writes
 * every listing of the dataset to a new file, so older files are not kept mapped by a few unchanged listings.
 *
 * <p>Thread-safe: pins and refreshes are serialized on this object; lookups read concurrent maps.
 */
final class DatasetNamespaces {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetNamespaces.class);
    private static final int PAGE = 1000;

    /** A pinned directory and the dataset folder it was listed with. */
    private record Pinned(Listing listing, String root) {
    }

    /** @param fingerprint of the keys, ETags and sizes: what the dataset's index depends on */
    private record Root(String path, boolean recursive, Runnable onChange, Instant loadedAt, long fingerprint,
                        Set<String> dirs, boolean failing) {
        Root failingNow() {
            return new Root(path, recursive, onChange, loadedAt, fingerprint, dirs, true);
        }
    }

    private record Snapshot(Map<String, Listing> dirs, long fingerprint) {
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
    /** Dataset folders the store lists out of key order: their directories are held until the listing ends. */
    private final Set<String> unordered = ConcurrentHashMap.newKeySet();
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
        apply(new Root(root, recursive, onChange, started, s.fingerprint(), Set.copyOf(s.dirs().keySet()), false),
                s, null);
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
        apply(new Root(root, old.recursive(), old.onChange(), started, s.fingerprint(),
                Set.copyOf(s.dirs().keySet()), false), s, old);
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
        for (Map.Entry<String, Listing> e : s.dirs().entrySet()) {
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

    /**
     * Lists {@code root} and builds its directories' listings, each written to a names file as soon as the listing
     * has moved past it; a directory whose entries did not change keeps the listing it has. A store that lists out
     * of key order gets every directory held until the listing ends; a names folder that cannot be written gets
     * the listings held on the heap. Each is said once in the log.
     */
    private Snapshot list(String root, boolean recursive) {
        Path dir = namesDir;
        while (true) {
            boolean inOrder = !unordered.contains(root);
            try {
                return walk(root, recursive, inOrder, dir);
            } catch (TreeListing.OutOfOrder e) {
                LOG.warn("dataset folder /{} is not listed in key order ({}); its directories are held until each "
                        + "listing of it ends", root, e.getMessage());
                unordered.add(root);
            } catch (IOException e) {
                if (dir == null) {
                    throw new UncheckedIOException(e);   // no file is written without a folder
                }
                LOG.warn("the names of dataset folder /{} are held on the heap: they could not be written to {}: {}",
                        root, dir, e.toString());
                dir = null;
            }
        }
    }

    private Snapshot walk(String root, boolean recursive, boolean inOrder, @Nullable Path dir)
            throws TreeListing.OutOfOrder, IOException {
        String prefix = dirPrefix.apply(root);
        long fingerprint = 1125899906842597L;
        try (NamesFile file = dir == null ? null : NamesFile.create(dir)) {
            TreeListing tree = new TreeListing(root, fileIds, defaultMtime, clock.instant(), inOrder,
                    d -> previous(root, d), file);
            @Nullable String token = null;
            do {
                ListPage page = store.list(prefix, recursive ? null : "/", token, PAGE);
                for (ObjectMeta m : page.objects()) {
                    fingerprint = 31 * (31 * (31 * fingerprint + m.key().hashCode()) + m.etag().hashCode())
                            + Long.hashCode(m.size());
                    tree.add(m.key().substring(prefix.length()), m);
                }
                for (String cp : page.commonPrefixes()) {
                    tree.addCommonPrefix(cp.substring(prefix.length(), cp.length() - 1));
                }
                token = page.nextToken();
            } while (token != null);
            return new Snapshot(tree.finish(), fingerprint);
        }
    }

    /** The listing {@code dirPath} has now under {@code root}, or null. */
    private @Nullable Listing previous(String root, String dirPath) {
        Pinned p = dirs.get(dirPath);
        return p != null && p.root().equals(root) ? p.listing() : null;
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
}

package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds and refreshes indexes. A build lists the dataset, takes the parts of unchanged objects from the previous
 * index, and scans the rest with at most {@code parallelism} workers on the injected executor: each worker takes
 * the next object to scan until none is left, so the number of tasks in flight is bounded whatever the executor's
 * queue. Results land in a per-object slot, so dataset order does not depend on which scan finishes first. The
 * exception is a file-per-sample index in key order kept in an {@link IndexStore}: it is refreshed from the paged
 * listing straight into the store's file ({@link StreamedFilesRefresh}), holding neither listing nor index.
 * Stateless between builds, so thread-safe.
 */
final class DefaultIndexer implements DatasetIndexer {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultIndexer.class);
    private final RangeSource source;
    private final Executor executor;
    private final int parallelism;
    private final Clock clock;
    /** Datasets whose listing was found out of their order once: indexed from the held listing from then on. */
    private final Set<DatasetSpec> notInListingOrder = ConcurrentHashMap.newKeySet();

    DefaultIndexer(RangeSource source, Executor executor, int parallelism, Clock clock) {
        this.source = requireNonNull(source, "source is null");
        this.executor = requireNonNull(executor, "executor is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
        }
        this.parallelism = parallelism;
    }

    static FormatHandler<?> handler(Format format) {
        return switch (format) {
            case PARQUET -> new ParquetHandler();
            case WEBDATASET -> new WebDatasetHandler();
            case FILES -> new FilesHandler();
        };
    }

    @Override
    public IndexBuild refresh(DatasetSpec spec, Optional<DatasetIndex> previous) throws IOException {
        requireNonNull(spec, "spec is null");
        requireNonNull(previous, "previous is null");
        return run(handler(spec.format()), spec, previous.filter(p -> p.spec().equals(spec)));
    }

    @Override
    public IndexBuild loadOrBuild(DatasetSpec spec, IndexStore store) throws IOException {
        requireNonNull(spec, "spec is null");
        requireNonNull(store, "store is null");
        return new PersistedRefresh(this::refreshInStore, store).run(spec);
    }

    /**
     * A file-per-sample index streamed into the store's file when the listing is in its order; any other built on
     * the heap.
     */
    private PersistedRefresh.Refreshed refreshInStore(DatasetSpec spec, Optional<DatasetIndex> previous,
            IndexStore store) throws IOException {
        if (spec.format() != Format.FILES) {
            return new PersistedRefresh.Refreshed(refresh(spec, previous), Optional.empty());
        }
        if (notInListingOrder.contains(spec)) {
            return new PersistedRefresh.Refreshed(refresh(spec, previous), Optional.empty());
        }
        Instant started = clock.instant();
        Optional<DatasetIndex> same = previous.filter(p -> p.spec().equals(spec));
        StreamedFilesRefresh.Outcome o;
        try {
            o = StreamedFilesRefresh.run(source, spec, same, store.file(spec));
        } catch (StreamedFilesRefresh.OutOfOrder e) {
            // an ImageFolder tree with files beside folders is an ordinary dataset; a store out of key order is not
            notInListingOrder.add(spec);   // its next refreshes list it once, held, instead of twice
            String what = "{}; indexing {} from the listing held and sorted instead, which costs heap per object";
            if (spec.layout() == FileLayout.SORTED) {
                LOG.warn(what, e.getMessage(), describe(spec));
            } else {
                LOG.info(what, e.getMessage(), describe(spec));
            }
            return new PersistedRefresh.Refreshed(refresh(spec, previous), Optional.empty());
        }
        DatasetIndex index = o.written().isPresent() ? IndexStore.read(o.written().get()) : same.orElseThrow();
        BuildStats stats = new BuildStats(o.listed(), o.listed() - o.reused(), o.reused(), 0, 0, 0,
                Duration.between(started, clock.instant()));
        return new PersistedRefresh.Refreshed(new IndexBuild(index, List.of(), stats, List.of()), o.written());
    }

    private <P extends FormatHandler.Part> IndexBuild run(FormatHandler<P> handler, DatasetSpec spec,
            Optional<DatasetIndex> previous) throws IOException {
        Instant started = clock.instant();
        CountingSource counting = new CountingSource(source);
        List<ObjectFailure> failures = new ArrayList<>();
        List<ObjectRef> objects = handler.resolve(counting, spec, failures);
        if (previous.isPresent() && sameObjects(previous.get().objects(), objects)) {
            // nothing changed: the caller keeps the same value, and a mapped index is never copied to the heap
            BuildStats stats = new BuildStats(objects.size(), 0, objects.size(), counting.requests.sum(),
                    counting.metadataBytes.sum(), counting.bytesRequested.sum(),
                    Duration.between(started, clock.instant()));
            return new IndexBuild(previous.get(), failures, stats, List.of());
        }

        Map<String, P> reusable = new HashMap<>();
        if (previous.isPresent()) {
            for (P p : handler.parts(previous.get())) {
                reusable.put(p.object().key(), p);
            }
        }
        List<P> parts = new ArrayList<>(objects.size());
        List<Integer> toScan = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            P old = reusable.get(objects.get(i).key());
            if (old != null && old.object().sameVersion(objects.get(i))) {
                parts.add(old);
            } else {
                parts.add(null);
                toScan.add(i);
            }
        }
        ObjectFailure[] scanFailures = new ObjectFailure[objects.size()];
        scanAll(handler, spec, counting, objects, toScan, parts, scanFailures);

        List<P> good = new ArrayList<>(objects.size());
        for (int i = 0; i < objects.size(); i++) {
            if (scanFailures[i] != null) {
                failures.add(scanFailures[i]);
            } else {
                good.add(parts.get(i));
            }
        }
        DatasetIndex index = handler.assemble(spec, good);
        BuildStats stats = new BuildStats(objects.size(), toScan.size(), objects.size() - toScan.size(),
                counting.requests.sum(), counting.metadataBytes.sum(), counting.bytesRequested.sum(),
                Duration.between(started, clock.instant()));
        return new IndexBuild(index, failures, stats, List.of());
    }

    private <P extends FormatHandler.Part> void scanAll(FormatHandler<P> handler, DatasetSpec spec,
            CountingSource counting, List<ObjectRef> objects, List<Integer> toScan, List<P> parts,
            ObjectFailure[] scanFailures) throws IOException {
        if (toScan.isEmpty()) {
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Object[] results = new Object[objects.size()];
        Runnable worker = () -> {
            for (int t; (t = next.getAndIncrement()) < toScan.size(); ) {
                int i = toScan.get(t);
                ObjectRef o = objects.get(i);
                try {
                    results[i] = handler.scan(counting, o, spec);
                } catch (IOException | RuntimeException e) {
                    scanFailures[i] = ObjectFailure.of(o.key(), e);
                }
            }
        };
        int workers = Math.min(parallelism, toScan.size());
        List<CompletableFuture<Void>> running = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            running.add(CompletableFuture.runAsync(worker, executor));
        }
        try {
            CompletableFuture.allOf(running.toArray(new CompletableFuture[0])).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            next.set(Integer.MAX_VALUE / 2); // stop handing out objects
            throw new InterruptedIOException("interrupted while indexing " + describe(spec));
        } catch (ExecutionException e) {
            // a worker died of an Error; the futures carry it
            throw new IOException("indexing " + describe(spec) + " failed: " + e.getCause(), e.getCause());
        }
        for (int i : toScan) {
            @SuppressWarnings("unchecked")
            P p = (P) results[i];
            parts.set(i, p);
        }
    }

    private static String describe(DatasetSpec spec) {
        return spec.format().cliName() + " dataset '" + spec.location() + "'";
    }

    private static boolean sameObjects(List<ObjectRef> a, List<ObjectRef> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).sameVersion(b.get(i))) {
                return false;
            }
        }
        return true;
    }
}

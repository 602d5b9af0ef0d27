package io.prefetchd.gateway.datasets;

import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.SampleLocator;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Which served dataset an S3 object belongs to: what the read path asks to name a READ by its dataset. A key
 * belongs to a dataset when it is the dataset's object ({@code parquet/part-0.parquet}), lies under its folder
 * ({@code imagefolder/train/cat/0001.jpg} under {@code imagefolder/train}), or, for a brace pattern
 * ({@code webdataset/shard-{000..009}.tar}), is one of the objects it indexed. When datasets nest, the one with
 * the longest location wins.
 *
 * <p>It also says which sample of the dataset a byte belongs to ({@link Hit#sampleAt}), so that a trace can name
 * the sample each READ was part of.
 *
 * <p>Thread-safe: datasets are added and replaced (on re-index) copy-on-write; {@link #of} takes no lock, so it
 * can run on every READ.
 */
public final class DatasetLookup {
    /**
     * The dataset an object belongs to, and the way from its bytes to its samples.
     *
     * @param dataset the dataset
     * @param samples the samples of the dataset's index, by byte
     */
    public record Hit(ServedDataset dataset, SampleLocator samples) {
        public Hit {
            requireNonNull(dataset, "dataset is null");
            requireNonNull(samples, "samples is null");
        }

        /**
         * The sample holding byte {@code offset} of {@code key} at version {@code etag}, or {@link SampleLocator#NONE}
         * (a header or footer byte, or an object that changed since it was indexed).
         */
        public long sampleAt(String key, String etag, long offset) {
            return samples.sampleAt(key, etag, offset);
        }
    }

    /** {@code patternKeys}: the keys of a dataset given by a pattern, null for one given by its folder. */
    private record Entry(Hit hit, String location, @Nullable Set<String> patternKeys) {
        ServedDataset dataset() {
            return hit.dataset();
        }

        boolean holds(String key) {
            if (patternKeys != null) {
                return patternKeys.contains(key);
            }
            return location.isEmpty() || key.equals(location)
                    || key.length() > location.length() && key.startsWith(location)
                    && key.charAt(location.length()) == '/';
        }
    }

    private volatile Entry[] entries = new Entry[0];

    /** Adds the dataset, or replaces the one with the same id (a re-index). */
    public synchronized void add(ServedDataset dataset) {
        requireNonNull(dataset, "dataset is null");
        String location = dataset.spec().location();
        while (location.endsWith("/")) {
            location = location.substring(0, location.length() - 1);
        }
        Set<String> patternKeys = null;
        if (location.contains("{")) {
            patternKeys = new HashSet<>();
            for (ObjectRef o : dataset.index().objects()) {
                patternKeys.add(o.key());
            }
        }
        Entry added = new Entry(new Hit(dataset, SampleLocator.of(dataset.index())), location, patternKeys);
        Entry[] old = entries;
        Entry[] next = new Entry[old.length + 1];
        int n = 0;
        for (Entry e : old) {
            if (!e.dataset().id().equals(dataset.id())) {
                next[n++] = e;
            }
        }
        next[n++] = added;
        next = Arrays.copyOf(next, n);
        // longest location first, so that the first match is the innermost dataset
        Arrays.sort(next, (a, b) -> Integer.compare(b.location().length(), a.location().length()));
        entries = next;
    }

    /** The dataset that holds the object {@code key} (a full S3 key of the gateway's bucket), or empty. */
    public Optional<ServedDataset> of(String key) {
        return find(key).map(Hit::dataset);
    }

    /** The dataset that holds the object {@code key}, with its samples by byte, or empty. */
    public Optional<Hit> find(String key) {
        requireNonNull(key, "key is null");
        for (Entry e : entries) {
            if (e.holds(key)) {
                return Optional.of(e.hit());
            }
        }
        return Optional.empty();
    }
}

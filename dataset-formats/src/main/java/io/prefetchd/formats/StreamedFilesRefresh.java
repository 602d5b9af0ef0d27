package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Refreshes the persisted index of a file-per-sample dataset from the paged listing, with a heap that does not
 * grow with the number of objects: the listing is never held, the previous index is read where it is mapped, and
 * a new index goes through a {@link FilesIndexWriter}.
 *
 * <p>Each sample (as {@link FilesHandler} keeps them: hidden objects left out, and for {@link FileLayout#IMAGE_FOLDER}
 * objects outside a class folder too) is compared with the previous index's object at the same position. While all
 * of them match nothing is written; at the first difference a writer is opened, the previous index's objects before
 * it (the same as those listed) are written, and every later sample follows as it is listed. A listing that matched
 * to the end, with as many samples as before, gives back the previous index and writes nothing.
 *
 * <p>This works while the layout's order is the listing's: always for {@link FileLayout#SORTED} from a store that
 * lists in key order, and for {@code IMAGE_FOLDER} when no class folder holds both files and folders and no class
 * name is another's prefix followed by a character below '/' (the usual {@code class/file} tree). Otherwise the
 * run stops with {@link OutOfOrder}, and the caller indexes the listing sorted on the heap instead; a key listed
 * twice is an error.
 *
 * <p>How many objects are reused (the same key at the same version as in the previous index, wherever it is)
 * is counted by walking the previous index alongside the listing, both in the layout's order. Not thread-safe:
 * one run.
 */
final class StreamedFilesRefresh implements RangeSource.ListingConsumer {

    /**
     * @param written the file written, or empty when the previous index is still current
     * @param listed the samples listed
     * @param reused those that are in the previous index at the same version
     */
    record Outcome(Optional<Path> written, int listed, int reused) {
    }

    /**
     * The listing is not in the layout's order (a store that does not list in key order, or an ImageFolder tree
     * whose order is not key order): nothing was written, and the caller may build from the listing sorted on the
     * heap instead.
     */
    static final class OutOfOrder extends IOException {
        private static final long serialVersionUID = 1L;

        OutOfOrder(String message) {
            super(message);
        }
    }

    private final DatasetSpec spec;
    private final String prefix;
    private final Comparator<ObjectRef> order;
    private final boolean hadPrevious;
    private final List<ObjectRef> previousObjects;
    private final Path file;
    private @Nullable FilesIndexWriter writer;
    private @Nullable ObjectRef last;
    private int listed;
    private int reused;
    /** The first object of the previous index not ordered before the last object listed. */
    private int cursor;

    private StreamedFilesRefresh(DatasetSpec spec, Optional<DatasetIndex> previous, Path file) {
        this.spec = spec;
        this.prefix = Locations.folderPrefix(spec.location());
        this.order = spec.layout() == FileLayout.SORTED
                ? Comparator.comparing(ObjectRef::key, KeyOrder.INSTANCE) : FilesHandler.imageFolderOrder(prefix);
        this.hadPrevious = previous.isPresent();
        this.previousObjects = previous.isPresent() ? previous.get().objects() : List.of();
        this.file = file;
    }

    /**
     * Lists {@code spec}'s folder page by page and writes its index to {@code file} unless {@code previous} (an
     * index of the same spec) is still current.
     *
     * @throws IOException when the listing fails or is not in key order, or the file cannot be written
     */
    static Outcome run(RangeSource source, DatasetSpec spec, Optional<DatasetIndex> previous, Path file)
            throws IOException {
        if (spec.format() != Format.FILES) {
            throw new IllegalArgumentException("only a file-per-sample dataset is refreshed from the paged listing, "
                    + "not " + spec);
        }
        if (previous.isPresent() && !previous.get().spec().equals(spec)) {
            throw new IllegalArgumentException("the previous index is of " + previous.get().spec() + ", not " + spec);
        }
        StreamedFilesRefresh refresh = new StreamedFilesRefresh(spec, previous, file);
        try {
            source.list(refresh.prefix, refresh);
            return refresh.finish();
        } catch (IOException | RuntimeException e) {
            FilesIndexWriter w = refresh.writer;
            if (w != null) {
                try {
                    w.close(); // deletes the temporary columns of the write that failed
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    @Override
    public void accept(ObjectRef object) throws IOException {
        if (!FilesHandler.isSample(object, prefix)
                || spec.layout() == FileLayout.IMAGE_FOLDER && !FilesHandler.inClass(object, prefix)) {
            return;
        }
        String key = object.key();
        if (last != null) {
            if (KeyOrder.INSTANCE.compare(last.key(), key) >= 0) {
                String what = "the listing of '" + prefix + "' is not in key order: " + cameAfter(key);
                throw last.key().equals(key) ? new IOException(what + " (listed twice)") : new OutOfOrder(what);
            }
            // key order is a SORTED dataset's own order, checked just above
            if (spec.layout() != FileLayout.SORTED && order.compare(last, object) >= 0) {
                throw new OutOfOrder("the listing of '" + prefix + "' is not in ImageFolder order: " + cameAfter(key));
            }
        }
        last = object;
        ObjectRef old = previousAtOrAfter(object);
        boolean same = old != null && old.sameVersion(object);
        boolean samePlace = same && cursor == listed;
        if (same) {
            reused++;
            cursor++;
        }
        FilesIndexWriter w = writer;
        if (w == null && !samePlace) {
            w = startWriting();
        }
        if (w != null) {
            w.add(object);
        }
        listed++;
    }

    private String cameAfter(String key) {
        return "'" + key + "' came after '" + requireNonNull(last, "an object was listed before").key() + "'";
    }

    /** Moves the cursor past the previous objects ordered before {@code object}; the object there, or null. */
    private @Nullable ObjectRef previousAtOrAfter(ObjectRef object) {
        while (cursor < previousObjects.size()) {
            ObjectRef o = previousObjects.get(cursor); // one object read from the mapped file, not the list
            if (order.compare(o, object) >= 0) {
                return o;
            }
            cursor++;
        }
        return null;
    }

    /** Opens the writer and writes the samples listed so far, which are the previous index's first ones. */
    private FilesIndexWriter startWriting() throws IOException {
        FilesIndexWriter w = FilesIndexWriter.create(spec, file);
        writer = w;
        for (int i = 0; i < listed; i++) {
            w.add(previousObjects.get(i));
        }
        return w;
    }

    private Outcome finish() throws IOException {
        FilesIndexWriter w = writer;
        if (w == null) {
            if (hadPrevious && listed == previousObjects.size()) {
                return new Outcome(Optional.empty(), listed, reused);
            }
            w = startWriting(); // the previous index had more objects, or there was none
        }
        return new Outcome(Optional.of(w.finish()), listed, reused);
    }
}

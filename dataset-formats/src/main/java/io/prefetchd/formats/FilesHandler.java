package io.prefetchd.formats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * File-per-sample datasets: a sample is one whole object, and the listing is all the metadata there is, so a
 * "scan" reads nothing. Objects with a hidden path component (starting with {@code .}) are left out.
 *
 * <p>{@link FileLayout#IMAGE_FOLDER} order is torchvision's: classes (the first path component under the
 * location) sorted; within a class, {@code sorted(os.walk(class_dir))} visits folders in order of their path
 * string and each folder's files sorted by name, so {@code cat/z.jpg} comes before {@code cat/a/b.jpg}.
 * Objects directly under the location belong to no class and are left out, as ImageFolder does.
 *
 * <p>This handler builds on the heap from the whole listing ({@link DatasetIndexer#build} and
 * {@link DatasetIndexer#refresh}, and an {@code IMAGE_FOLDER} tree whose order is not the listing's). An index kept
 * in an {@link IndexStore} is refreshed from the paged listing instead ({@link StreamedFilesRefresh}).
 */
final class FilesHandler implements FormatHandler<FilesHandler.FilePart> {

    record FilePart(ObjectRef object) implements FormatHandler.Part {
    }

    @Override
    public List<ObjectRef> resolve(RangeSource source, DatasetSpec spec, List<ObjectFailure> failures)
            throws IOException {
        String prefix = Locations.folderPrefix(spec.location());
        List<ObjectRef> all = Locations.folder(source, prefix, o -> isSample(o, prefix));
        if (spec.layout() == FileLayout.SORTED) {
            return all;
        }
        List<ObjectRef> inClasses = new ArrayList<>(all.size());
        for (ObjectRef o : all) {
            if (inClass(o, prefix)) {
                inClasses.add(o);
            }
        }
        inClasses.sort(imageFolderOrder(prefix));
        return inClasses;
    }

    /** True when an object listed under the folder {@code prefix} is a sample: no path component is hidden. */
    static boolean isSample(ObjectRef object, String prefix) {
        return !object.key().endsWith("/") && !Locations.hidden(object.key(), prefix, ".");
    }

    /** True when an object listed under the folder {@code prefix} is in a class folder, not directly in it. */
    static boolean inClass(ObjectRef object, String prefix) {
        return object.key().indexOf('/', prefix.length()) > 0;
    }

    static Comparator<ObjectRef> imageFolderOrder(String prefix) {
        Comparator<String> byCodePoint = KeyOrder.INSTANCE;
        return Comparator.<ObjectRef, String>comparing(o -> classOf(o.key(), prefix), byCodePoint)
                .thenComparing(o -> folderOf(o.key()), byCodePoint)
                .thenComparing(o -> nameOf(o.key()), byCodePoint);
    }

    private static String classOf(String key, String prefix) {
        return key.substring(prefix.length(), key.indexOf('/', prefix.length()));
    }

    private static String folderOf(String key) {
        return key.substring(0, key.lastIndexOf('/'));
    }

    private static String nameOf(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    @Override
    public FilePart scan(CountingSource source, ObjectRef object, DatasetSpec spec) {
        return new FilePart(object);
    }

    @Override
    public DatasetIndex assemble(DatasetSpec spec, List<FilePart> parts) {
        List<ObjectRef> refs = new ArrayList<>(parts.size());
        for (FilePart p : parts) {
            refs.add(p.object());
        }
        return new FilesIndex(spec, ObjectTable.of(refs));
    }

    @Override
    public List<FilePart> parts(DatasetIndex index) {
        List<FilePart> out = new ArrayList<>();
        for (ObjectRef o : index.objects()) {
            out.add(new FilePart(o));
        }
        return out;
    }
}

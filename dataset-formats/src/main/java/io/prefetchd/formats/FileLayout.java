package io.prefetchd.formats;

/** Sample order for {@link Format#FILES} datasets. */
public enum FileLayout {
    /** Every object under the location, sorted by key (code point order, as S3 lists). */
    SORTED,
    /**
     * torchvision {@code ImageFolder} order: class folders (first path component) sorted, then within a class
     * files by (folder, name), as {@code sorted(os.walk(...))} visits them. Objects directly under the
     * location belong to no class and are left out.
     */
    IMAGE_FOLDER
}

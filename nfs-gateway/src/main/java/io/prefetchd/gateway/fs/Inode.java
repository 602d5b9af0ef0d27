package io.prefetchd.gateway.fs;

import static java.util.Objects.requireNonNull;

/**
 * A name in the exported tree: its type and its path relative to the export root ("" is the root,
 * components joined by '/', no leading or trailing slash).
 */
public record Inode(FileType type, String path) {
    public static final Inode ROOT = new Inode(FileType.DIRECTORY, "");

    public Inode {
        requireNonNull(type, "type is null");
        requireNonNull(path, "path is null");
    }

    public boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }

    public boolean isRoot() {
        return path.isEmpty();
    }

    public String name() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }

    public String parentPath() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    public String child(String name) {
        return path.isEmpty() ? name : path + "/" + name;
    }
}

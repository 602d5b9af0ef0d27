package io.prefetchd.gateway.fs;

import static java.util.Objects.requireNonNull;

public record DirEntry(String name, Inode inode, FileAttributes attributes) {
    public DirEntry {
        requireNonNull(name, "name is null");
        requireNonNull(inode, "inode is null");
        requireNonNull(attributes, "attributes is null");
    }
}

package io.prefetchd.gateway.fs;

public enum FileType {
    REGULAR,
    DIRECTORY
}

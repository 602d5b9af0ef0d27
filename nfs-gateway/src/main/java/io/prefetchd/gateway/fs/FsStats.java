package io.prefetchd.gateway.fs;

/** What statfs(2) on the mount shows. */
public record FsStats(long totalBytes, long freeBytes, long totalFiles, long freeFiles) {
    /** The file count shown where nothing limits it (S3 counts no objects): 2^32. */
    public static final long FILES = 1L << 32;
}

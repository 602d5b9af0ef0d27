package io.prefetchd.gateway.fs;

/** What statfs(2) on the mount shows. */
public record FsStats(long totalBytes, long freeBytes, long totalFiles, long freeFiles) {}

package io.prefetchd.tracer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Keeps the traces folder under a total size by deleting the oldest epoch files first.
 *
 * <p>"Oldest" is by last-modified time, which for a finished file is when it was closed; ties go by path. Files
 * open for writing are never deleted, but their size counts toward the total, so one running epoch larger than
 * the limit leaves the folder over it until the epoch ends. A dataset or job folder left empty is removed.
 * Only {@code epoch-*.arrow} files are touched. Stateless; called from the writer thread.
 */
final class Retention {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private Retention() {
    }

    /** Deletes oldest closed files until the total is at most {@code maxBytes}; returns how many were deleted. */
    static int enforce(Path tracesDir, long maxBytes, Set<Path> open) throws IOException {
        List<TraceFile> files = TracePaths.listFiles(tracesDir);
        long total = 0;
        List<Candidate> candidates = new ArrayList<>();
        for (TraceFile f : files) {
            total += f.sizeBytes();
            if (!open.contains(f.path())) {
                FileTime mtime;
                try {
                    mtime = Files.getLastModifiedTime(f.path());
                } catch (NoSuchFileException gone) {
                    total -= f.sizeBytes();
                    continue;
                }
                candidates.add(new Candidate(f, mtime));
            }
        }
        if (total <= maxBytes) {
            return 0;
        }
        candidates.sort(Comparator.comparing(Candidate::mtime).thenComparing(c -> c.file().path().toString()));
        int deleted = 0;
        for (Candidate c : candidates) {
            if (total <= maxBytes) {
                break;
            }
            try {
                Files.deleteIfExists(c.file().path());
                deleted++;
                total -= c.file().sizeBytes();
                LOG.info("trace retention: deleted {} ({} bytes) to keep traces under {} bytes",
                        c.file().path(), c.file().sizeBytes(), maxBytes);
                removeIfEmpty(c.file().path().getParent(), tracesDir);
            } catch (IOException e) {
                LOG.warn("trace retention: cannot delete {}: {}", c.file().path(), e.toString());
            }
        }
        return deleted;
    }

    private static void removeIfEmpty(@Nullable Path dir, Path stop) {
        for (Path d = dir; d != null && !d.equals(stop) && d.startsWith(stop); d = d.getParent()) {
            try {
                Files.deleteIfExists(d);
            } catch (DirectoryNotEmptyException notEmpty) {
                return;
            } catch (IOException e) {
                return;
            }
        }
    }

    private record Candidate(TraceFile file, FileTime mtime) {
    }
}

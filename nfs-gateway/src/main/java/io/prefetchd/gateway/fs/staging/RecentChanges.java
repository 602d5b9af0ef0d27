package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Names the gateway changed in S3 (uploaded, copied, deleted, folder markers put) whose new state the read-only
 * view may not show yet: a directory listing it holds (a dataset's names, refreshed in bulk, or one it refreshes in
 * the background) can be older than the change. Each change is shown over that view for {@code horizon}, long
 * enough for every listing read before the change to have been replaced.
 *
 * <p>Thread-safe: concurrent maps; a change is replaced whole.
 */
final class RecentChanges {
    /** The name's state after the change: {@code attributes} null means it is gone. */
    record Change(Inode inode, @Nullable FileAttributes attributes, Instant at) {
        boolean gone() {
            return attributes == null;
        }

        /** The attributes of a change that is not {@link #gone}. */
        FileAttributes present() {
            return requireNonNull(attributes, "a change that is not gone has attributes");
        }
    }

    private final Clock clock;
    private final Duration horizon;
    private final Map<String, Change> byPath = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Change>> byParent = new ConcurrentHashMap<>();

    RecentChanges(Clock clock, Duration horizon) {
        this.clock = requireNonNull(clock, "clock is null");
        this.horizon = requireNonNull(horizon, "horizon is null");
    }

    /** {@code inode} now exists with {@code attributes}. */
    void present(Inode inode, FileAttributes attributes) {
        put(new Change(inode, requireNonNull(attributes, "attributes is null"), clock.instant()));
    }

    /** {@code inode} no longer exists. */
    void gone(Inode inode) {
        put(new Change(inode, null, clock.instant()));
    }

    private void put(Change c) {
        byPath.put(c.inode().path(), c);
        byParent.computeIfAbsent(c.inode().parentPath(), k -> new ConcurrentHashMap<>()).put(c.inode().name(), c);
    }

    /** The change of {@code path} within the horizon, or null. */
    @Nullable Change get(String path) {
        Change c = byPath.get(path);
        if (c == null) {
            return null;
        }
        if (expired(c)) {
            byPath.remove(path, c);
            Map<String, Change> siblings = byParent.get(c.inode().parentPath());
            if (siblings != null) {
                siblings.remove(c.inode().name(), c);
            }
            return null;
        }
        return c;
    }

    /** Whether a folder above {@code path} went away within the horizon (renamed or removed). */
    boolean ancestorGone(String path) {
        if (byPath.isEmpty()) {
            return false;
        }
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            Change c = get(path.substring(0, slash));
            if (c != null) {
                return c.gone();
            }
        }
        return false;
    }

    /** The changes within the horizon of names directly in {@code dirPath}. */
    List<Change> children(String dirPath) {
        Map<String, Change> m = byParent.get(dirPath);
        if (m == null) {
            return List.of();
        }
        m.values().removeIf(c -> {
            if (expired(c)) {
                byPath.remove(c.inode().path(), c);
                return true;
            }
            return false;
        });
        if (m.isEmpty()) {
            byParent.remove(dirPath, m);
        }
        return List.copyOf(m.values());
    }

    private boolean expired(Change c) {
        return Duration.between(c.at(), clock.instant()).compareTo(horizon) > 0;
    }
}

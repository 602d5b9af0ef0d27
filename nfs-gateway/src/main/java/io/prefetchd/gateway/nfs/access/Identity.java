package io.prefetchd.gateway.nfs.access;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The user an NFS request acts as, after squashing: uid, primary gid and supplementary gids (AUTH_SYS carries up
 * to 16). Immutable.
 */
public record Identity(int uid, int gid, List<Integer> groups) {
    public static final int ROOT = 0;

    public Identity {
        groups = List.copyOf(requireNonNull(groups, "groups is null"));
    }

    public boolean isRoot() {
        return uid == ROOT;
    }

    /** Whether {@code group} is this identity's primary or a supplementary group. */
    public boolean inGroup(int group) {
        return gid == group || groups.contains(group);
    }
}

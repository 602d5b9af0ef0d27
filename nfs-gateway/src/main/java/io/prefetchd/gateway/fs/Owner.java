package io.prefetchd.gateway.fs;

/**
 * The POSIX owner, group and permission bits a file or directory carries itself (written through the gateway and
 * kept as object metadata). A name without one shows the export's configured defaults.
 */
public record Owner(int uid, int gid, int mode) {
    public Owner {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid/gid must be at least 0");
        }
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode is permission bits, 0 to 07777");
        }
    }
}

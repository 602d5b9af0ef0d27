package io.prefetchd.gateway.nfs.access;

import io.prefetchd.gateway.fs.Owner;
import org.jspecify.annotations.Nullable;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_DELETE;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_EXECUTE;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_EXTEND;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_LOOKUP;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_MODIFY;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_READ;

/**
 * How the export's files and directories look to clients, S3 having no owners or modes: one owner, one group and
 * one mode for all files and one for all directories (as mountpoint-s3's and rclone's {@code --uid --gid
 * --file-mode --dir-mode}). A name written through the gateway carries its own {@link Owner} instead. The owner
 * that applies decides what ACCESS grants a caller: the owner's, the group's or the others' bits, as POSIX picks
 * them; uid 0, when not squashed, may read and write everything and execute what anyone may.
 */
public record FileOwnership(int uid, int gid, int fileMode, int dirMode) {
    /** Files {@code r--r--r--} and directories {@code r-xr-xr-x}, owned by root: readable by everyone. */
    public static final FileOwnership DEFAULT = new FileOwnership(0, 0, 0444, 0555);

    public FileOwnership {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("owner uid/gid must be at least 0");
        }
        if ((fileMode & ~0777) != 0 || (dirMode & ~0777) != 0) {
            throw new IllegalArgumentException("modes are permission bits, 0 to 0777");
        }
    }

    public int mode(boolean directory) {
        return directory ? dirMode : fileMode;
    }

    /** The owner that applies to a file or directory: its own ({@code own}, when not null), else the export's. */
    public Owner owner(boolean directory, @Nullable Owner own) {
        return own != null ? own : new Owner(uid, gid, mode(directory));
    }

    /** As {@link #accessBits(Identity, boolean, Owner, boolean)} for a name with no owner of its own. */
    public int accessBits(Identity who, boolean directory, boolean writable) {
        return accessBits(who, directory, null, writable);
    }

    /**
     * The ACCESS4 bits {@code who} holds on a file or directory owned by {@code own} (null: the export's
     * ownership). Write bits (MODIFY, EXTEND, DELETE) only when {@code writable}: the client's rule is read-write
     * and the file system takes writes. A directory grants MODIFY, EXTEND and DELETE (create, rename and remove
     * entries) only with both write and search permission, as POSIX asks.
     */
    public int accessBits(Identity who, boolean directory, @Nullable Owner own, boolean writable) {
        Owner o = owner(directory, own);
        int mode = o.mode();
        int rwx;
        if (who.isRoot()) {
            rwx = 06 | (directory || (mode & 0111) != 0 ? 01 : 0);
        } else if (who.uid() == o.uid()) {
            rwx = (mode >> 6) & 7;
        } else if (who.inGroup(o.gid())) {
            rwx = (mode >> 3) & 7;
        } else {
            rwx = mode & 7;
        }
        boolean r = (rwx & 04) != 0;
        boolean w = (rwx & 02) != 0 && writable;
        boolean x = (rwx & 01) != 0;
        if (directory) {
            return (r ? ACCESS4_READ : 0) | (x ? ACCESS4_LOOKUP : 0)
                    | (w && x ? ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE : 0);
        }
        return (r ? ACCESS4_READ : 0) | (x ? ACCESS4_EXECUTE : 0) | (w ? ACCESS4_MODIFY | ACCESS4_EXTEND : 0);
    }
}

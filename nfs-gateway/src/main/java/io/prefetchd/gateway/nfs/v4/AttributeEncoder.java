package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsStats;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Encodes fattr4 (bitmap plus values, in attribute-number order) for the attributes prefetchd supports: every
 * attribute the Linux client and libnfs ask for in GETATTR, READDIR and OPEN's
 * post-op attributes.
 *
 * <p>Owner, group and modes are the file's own when it carries an {@link io.prefetchd.gateway.fs.Owner} (written
 * through the gateway), else the export's {@link FileOwnership} (by default root, files 0444, directories 0555);
 * owner and group are numeric strings, which the Linux client accepts without id mapping. Stateless and
 * thread-safe.
 */
public final class AttributeEncoder {
    private static final int[] COMMON = {
        Attr.SUPPORTED_ATTRS, Attr.TYPE, Attr.FH_EXPIRE_TYPE, Attr.CHANGE, Attr.SIZE, Attr.LINK_SUPPORT,
        Attr.SYMLINK_SUPPORT, Attr.NAMED_ATTR, Attr.FSID, Attr.UNIQUE_HANDLES, Attr.LEASE_TIME, Attr.RDATTR_ERROR,
        Attr.ACLSUPPORT, Attr.CANSETTIME, Attr.CASE_INSENSITIVE, Attr.CASE_PRESERVING, Attr.CHOWN_RESTRICTED,
        Attr.FILEHANDLE, Attr.FILEID, Attr.FILES_AVAIL, Attr.FILES_FREE, Attr.FILES_TOTAL, Attr.HOMOGENEOUS,
        Attr.MAXFILESIZE, Attr.MAXLINK, Attr.MAXNAME, Attr.MAXREAD, Attr.MAXWRITE, Attr.MODE, Attr.NO_TRUNC,
        Attr.NUMLINKS, Attr.OWNER, Attr.OWNER_GROUP, Attr.RAWDEV, Attr.SPACE_AVAIL, Attr.SPACE_FREE,
        Attr.SPACE_TOTAL, Attr.SPACE_USED, Attr.TIME_ACCESS, Attr.TIME_ACCESS_SET, Attr.TIME_DELTA,
        Attr.TIME_METADATA, Attr.TIME_MODIFY, Attr.TIME_MODIFY_SET, Attr.MOUNTED_ON_FILEID,
    };
    /** Attributes that can be set but never read (RFC 8881 section 5.6, "W"). */
    private static final int[] WRITE_ONLY = bitmap(Attr.TIME_ACCESS_SET, Attr.TIME_MODIFY_SET);
    /**
     * What an EXCLUSIVE4_1 create may carry (suppattr_exclcreat): the verifier is kept by the file system, not in
     * the file's times, so every settable attribute but the times.
     */
    private static final int[] EXCLUSIVE_CREATE = bitmap(Attr.SIZE, Attr.MODE, Attr.OWNER, Attr.OWNER_GROUP);
    private static final int[] V41_ONLY = {Attr.FS_LAYOUT_TYPES, Attr.LAYOUT_BLKSIZE, Attr.SUPPATTR_EXCLCREAT};
    public static final int MAX_NAME = 255;

    private final FileHandles handles;
    private final VirtualFileSystem fs;
    private final Duration leaseTime;
    private final NfsLimits limits;
    private final FileOwnership ownership;
    private final int[] supported40;
    private final int[] supported41;

    public AttributeEncoder(FileHandles handles, VirtualFileSystem fs, Duration leaseTime, NfsLimits limits) {
        this(handles, fs, leaseTime, limits, FileOwnership.DEFAULT);
    }

    public AttributeEncoder(FileHandles handles, VirtualFileSystem fs, Duration leaseTime, NfsLimits limits,
                            FileOwnership ownership) {
        this.ownership = requireNonNull(ownership, "ownership is null");
        this.handles = requireNonNull(handles, "handles is null");
        this.fs = requireNonNull(fs, "fs is null");
        this.leaseTime = requireNonNull(leaseTime, "leaseTime is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.supported40 = bitmap(COMMON);
        int[] all = Arrays.copyOf(COMMON, COMMON.length + V41_ONLY.length);
        System.arraycopy(V41_ONLY, 0, all, COMMON.length, V41_ONLY.length);
        this.supported41 = bitmap(all);
    }

    public int[] supported(int minorVersion) {
        return (minorVersion == 0 ? supported40 : supported41).clone();
    }

    public static int[] bitmap(int... attrs) {
        int max = 0;
        for (int a : attrs) {
            max = Math.max(max, a);
        }
        int[] words = new int[max / 32 + 1];
        for (int a : attrs) {
            words[a / 32] |= 1 << (a % 32);
        }
        return words;
    }

    public static boolean isSet(int[] bitmap, int attr) {
        int word = attr / 32;
        return word < bitmap.length && (bitmap[word] & (1 << (attr % 32))) != 0;
    }

    /**
     * Refuses a request for a write-only attribute (time_access_set, time_modify_set): they can be set, never
     * read (RFC 8881 section 5.6, "W" attributes).
     *
     * @throws NfsException NFS4ERR_INVAL
     */
    public static void requireReadable(int[] request) throws NfsException {
        if (isSet(request, Attr.TIME_ACCESS_SET) || isSet(request, Attr.TIME_MODIFY_SET)) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "write-only attribute requested");
        }
    }

    /** Writes fattr4 with the requested attributes that are supported; the others are left out (RFC 8881 5.3). */
    /** Attributes of the whole file system: asked of it once per encoding, and only when requested. */
    private static boolean isFsStat(int attr) {
        return attr == Attr.FILES_AVAIL || attr == Attr.FILES_FREE || attr == Attr.FILES_TOTAL
                || attr == Attr.SPACE_AVAIL || attr == Attr.SPACE_FREE || attr == Attr.SPACE_TOTAL;
    }

    public void encode(XdrWriter w, Inode inode, FileAttributes a, int[] request, int minorVersion) {
        encode(w, inode, a, request, minorVersion, NfsStatus.NFS4_OK);
    }

    /** As {@link #encode}, with an rdattr_error value for READDIR entries. */
    public void encode(XdrWriter w, Inode inode, FileAttributes a, int[] request, int minorVersion,
                       NfsStatus rdattrError) {
        int[] supported = supported(minorVersion);
        int words = 0;
        for (int i = 0; i < request.length; i++) {
            if (i < supported.length && (request[i] & supported[i]) != 0) {
                words = i + 1;
            }
        }
        int[] mask = new int[words];
        for (int i = 0; i < words; i++) {
            mask[i] = request[i] & supported[i] & ~(i < WRITE_ONLY.length ? WRITE_ONLY[i] : 0);
        }
        if (a.change() == FileAttributes.UNKNOWN_CHANGE && words > 0) {
            mask[0] &= ~(1 << Attr.CHANGE);   // not known without another listing: the client will GETATTR
        }
        w.writeIntArray(mask);
        int lenAt = w.position();
        w.writeInt(0);
        int start = w.size();
        FsStats stats = null;
        for (int attr = 0; attr < words * 32; attr++) {
            if (!isSet(mask, attr)) {
                continue;
            }
            if (stats == null && isFsStat(attr)) {
                stats = fs.statfs();
            }
            writeValue(w, attr, inode, a, minorVersion, rdattrError, stats);
        }
        w.patchInt(lenAt, w.size() - start);
    }

    /**
     * The attribute values (without bitmap) of exactly the attributes in {@code mask}, as VERIFY and NVERIFY
     * compare them.
     *
     * @throws NfsException NFS4ERR_ATTRNOTSUPP for an attribute this server does not support, NFS4ERR_INVAL for
     *                      rdattr_error
     */
    public byte[] values(Inode inode, FileAttributes a, int[] mask, int minorVersion) throws NfsException {
        int[] supported = supported(minorVersion);
        XdrWriter w = new XdrWriter(256);
        FsStats stats = null;
        for (int attr = 0; attr < mask.length * 32; attr++) {
            if (!isSet(mask, attr)) {
                continue;
            }
            if (!isSet(supported, attr)) {
                throw new NfsException(NfsStatus.NFS4ERR_ATTRNOTSUPP, "attribute " + attr + " not supported");
            }
            if (attr == Attr.RDATTR_ERROR || isSet(WRITE_ONLY, attr)) {
                throw new NfsException(NfsStatus.NFS4ERR_INVAL, "attribute " + attr + " cannot be verified");
            }
            if (stats == null && isFsStat(attr)) {
                stats = fs.statfs();
            }
            writeValue(w, attr, inode, a, minorVersion, NfsStatus.NFS4_OK, stats);
        }
        return w.toByteArray();
    }

    private void writeValue(XdrWriter w, int attr, Inode inode, FileAttributes a, int minorVersion,
                            NfsStatus rdattrError, @Nullable FsStats stats) {
        boolean dir = inode.isDirectory();
        Owner owner = ownership.owner(dir, a.owner());
        switch (attr) {
            case Attr.SUPPORTED_ATTRS -> w.writeIntArray(supported(minorVersion));
            case Attr.TYPE -> w.writeInt(dir ? Nfs4.NF4DIR : Nfs4.NF4REG);
            case Attr.FH_EXPIRE_TYPE -> w.writeInt(Nfs4.FH4_PERSISTENT);
            case Attr.CHANGE -> w.writeLong(a.change());
            case Attr.SIZE -> w.writeLong(a.size());
            case Attr.LINK_SUPPORT, Attr.SYMLINK_SUPPORT, Attr.NAMED_ATTR, Attr.CASE_INSENSITIVE -> w.writeBool(false);
            case Attr.CANSETTIME -> w.writeBool(fs.writable());
            case Attr.FSID -> w.writeLong(handles.exportId()).writeLong(0);
            case Attr.UNIQUE_HANDLES, Attr.CASE_PRESERVING, Attr.CHOWN_RESTRICTED, Attr.HOMOGENEOUS, Attr.NO_TRUNC ->
                    w.writeBool(true);
            case Attr.LEASE_TIME -> w.writeInt((int) leaseTime.toSeconds());
            case Attr.RDATTR_ERROR -> w.writeInt(rdattrError.code());
            case Attr.ACLSUPPORT -> w.writeInt(0);
            case Attr.FILEHANDLE -> w.writeOpaque(handles.encode(inode));
            case Attr.FILEID -> w.writeLong(a.fileId());
            case Attr.FILES_AVAIL, Attr.FILES_FREE -> w.writeLong(statsRead(stats).freeFiles());
            case Attr.FILES_TOTAL -> w.writeLong(statsRead(stats).totalFiles());
            case Attr.MAXFILESIZE -> w.writeLong(Long.MAX_VALUE);
            case Attr.MAXLINK -> w.writeInt(1);
            case Attr.MAXNAME -> w.writeInt(MAX_NAME);
            case Attr.MAXREAD, Attr.MAXWRITE -> w.writeLong(limits.maxRead());
            case Attr.MODE -> w.writeInt(owner.mode());
            case Attr.NUMLINKS -> w.writeInt(dir ? 2 : 1);
            case Attr.OWNER -> w.writeUtf8(Integer.toString(owner.uid()));
            case Attr.OWNER_GROUP -> w.writeUtf8(Integer.toString(owner.gid()));
            case Attr.RAWDEV -> w.writeInt(0).writeInt(0);
            case Attr.SPACE_AVAIL, Attr.SPACE_FREE -> w.writeLong(statsRead(stats).freeBytes());
            case Attr.SPACE_TOTAL -> w.writeLong(statsRead(stats).totalBytes());
            case Attr.SPACE_USED -> w.writeLong(roundUp(a.size()));
            case Attr.TIME_ACCESS, Attr.TIME_METADATA, Attr.TIME_MODIFY -> writeTime(w, a.mtime());
            case Attr.TIME_DELTA -> w.writeLong(1).writeInt(0);
            case Attr.MOUNTED_ON_FILEID -> w.writeLong(a.fileId());
            case Attr.FS_LAYOUT_TYPES -> w.writeInt(0);
            case Attr.LAYOUT_BLKSIZE -> w.writeInt(limits.maxRead());
            case Attr.SUPPATTR_EXCLCREAT -> w.writeIntArray(EXCLUSIVE_CREATE);
            default -> throw new IllegalStateException("attribute " + attr + " marked supported but not encoded");
        }
    }

    /** The file system's figures, read before the first attribute that needs them is written. */
    private static FsStats statsRead(@Nullable FsStats stats) {
        return requireNonNull(stats, "statfs is read before a file system attribute is written");
    }

    private static long roundUp(long size) {
        return (size + 4095) & ~4095L;
    }

    private static void writeTime(XdrWriter w, Instant t) {
        w.writeLong(t.getEpochSecond()).writeInt(t.getNano());
    }
}

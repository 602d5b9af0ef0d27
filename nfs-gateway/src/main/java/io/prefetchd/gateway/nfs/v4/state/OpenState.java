package io.prefetchd.gateway.nfs.v4.state;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.StateId;

/**
 * One open of one file by one open-owner. An open for reading only pins the object version ({@code version}: size
 * and ETag) seen at OPEN: every READ under this stateid reads exactly that version. An open for writing pins
 * nothing: its reads see the file as it is now, its own writes included. Guarded by the {@link NfsState} monitor;
 * {@link #version} and {@link #inode} never change, {@link #access} is also read without it.
 */
public final class OpenState {
    final byte[] other;
    final OpenOwner owner;
    final Inode inode;
    final FileAttributes version;
    volatile int seqid;
    volatile int access;
    int deny;
    boolean closed;

    OpenState(byte[] other, OpenOwner owner, Inode inode, FileAttributes version, int access, int deny) {
        this.other = other;
        this.owner = owner;
        this.inode = inode;
        this.version = version;
        this.access = access;
        this.deny = deny;
        this.seqid = 1;
    }

    public StateId stateId() {
        return new StateId(seqid, other.clone());
    }

    public Inode inode() {
        return inode;
    }

    public FileAttributes version() {
        return version;
    }

    public OpenOwner owner() {
        return owner;
    }

    /** Whether the open's share access includes writing (OPEN4_SHARE_ACCESS_WRITE). */
    public boolean forWrite() {
        return (access & Nfs4.OPEN4_SHARE_ACCESS_WRITE) != 0;
    }
}

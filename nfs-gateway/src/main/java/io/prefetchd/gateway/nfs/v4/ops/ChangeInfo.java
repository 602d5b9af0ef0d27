package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;

/**
 * change_info4 of a directory an operation changed (RFC 8881 section 3.3.12): its change attribute before and
 * after. Never atomic: another client may change the directory between the two readings, so a client compares
 * {@code before} with what it cached and revalidates when they differ.
 */
record ChangeInfo(long before, long after) {
    /** "Nothing changed, nothing known": what an OPEN that created nothing answers. */
    static final ChangeInfo NONE = new ChangeInfo(0, 0);

    static long changeOf(CompoundContext ctx, Inode dir) throws FsException {
        return ctx.services().fs().getattr(dir).change();
    }

    void encode(XdrWriter w) {
        w.writeBool(false).writeLong(before).writeLong(after);
    }
}

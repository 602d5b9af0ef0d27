package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.Deferred;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.ReaddirCookies;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.ACCESS4_READ;

/**
 * READDIR (RFC 8881 section 18.23). An entry's cookie carries its position in the directory snapshot and a hash of
 * its name, and the cookie verifier names the snapshot: a client paging through a directory of any size resumes
 * exactly where it stopped while the snapshot is held, and after the first name past the cookie's once it is not
 * (see {@link ReaddirCookies}). Entries never include "." or "..". The reply holds as many entries as fit in
 * maxcount bytes (and dircount bytes of names and cookies); attributes come from the listing, so listing a
 * directory costs no HEAD request per entry. A directory whose listing is not held is listed on a metadata thread,
 * the result {@link Deferred} meanwhile, so a worker never waits on the LIST requests of a big directory.
 */
public final class OpReaddir implements NfsOperation<Args.Readdir> {
    @Override
    public Result process(CompoundContext ctx, Args.Readdir args) throws NfsException, FsException {
        Inode dir = ctx.currentDir();
        CompletableFuture<Void> access = ctx.accessKnown(dir);
        CompletableFuture<Void> listed = ctx.services().fs().attributesKnown(dir);
        Deferred.Continuation rest = () -> {
            AttributeEncoder.requireReadable(args.request());
            Deferred.join(access);
            ctx.checkAccess(dir, ACCESS4_READ);
            Deferred.join(listed);
            return page(ctx, args, dir);
        };
        return access.isDone() && listed.isDone() ? rest.get()
                : new Deferred(CompletableFuture.allOf(access, listed), rest);
    }

    private static Result page(CompoundContext ctx, Args.Readdir args, Inode dir)
            throws NfsException, FsException {
        long cookie = args.cookie();
        if (cookie == 1 || cookie == 2) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_COOKIE, "reserved cookie " + cookie);
        }
        long verifier = cookie == 0 ? 0 : ByteBuffer.wrap(args.cookieVerf()).getLong();
        DirListing listing = ctx.services().fs().list(dir, verifier);
        List<DirEntry> entries = listing.entries();
        ReaddirCookies cookies = ctx.services().readdirCookies();
        int start = cookie == 0 ? 0 : cookies.resume(dir.path(), listing, verifier, cookie);
        int maxcount = args.maxcount();
        int dircount = args.dircount();
        int minor = ctx.minorVersion();
        XdrWriter body = new XdrWriter(Math.min(Math.max(maxcount, 64), 1 << 20));
        body.writeLong(listing.verifier());
        int usedDir = 0;
        int written = 0;
        int i = start;
        long lastCookie = 0;
        String lastName = null;
        // 8 bytes of verifier, then 4 (no more entries) + 4 (eof) at the end
        final int tail = 8;
        for (; i < entries.size(); i++) {
            DirEntry e = entries.get(i);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            long entryCookie = ReaddirCookies.cookie(i, DirListing.nameHash(name));
            int mark = body.size();
            body.writeBool(true).writeLong(entryCookie);
            body.writeUtf8(e.name());
            ctx.services().attributes().encode(body, e.inode(), e.attributes(), args.request(), minor);
            int nameCost = 8 + 4 + ((name.length + 3) & ~3);
            boolean overMax = Integer.toUnsignedLong(body.size() + tail) > Integer.toUnsignedLong(maxcount);
            boolean overDir = dircount > 0 && written > 0 && usedDir + nameCost > dircount;
            if (overMax || overDir) {
                body.truncate(mark);
                break;
            }
            usedDir += nameCost;
            written++;
            lastCookie = entryCookie;
            lastName = e.name();
        }
        if (written == 0 && i < entries.size()) {
            throw new NfsException(NfsStatus.NFS4ERR_TOOSMALL, "maxcount " + maxcount + " too small for one entry");
        }
        boolean eof = i >= entries.size();
        if (!eof && lastName != null) {
            cookies.ended(dir.path(), lastCookie, lastName);
        }
        body.writeBool(false).writeBool(eof);
        byte[] bytes = body.buffer();
        int len = body.position();
        return w -> w.writeFixedOpaque(bytes, 0, len);
    }
}

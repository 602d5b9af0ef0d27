package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.OpenOwner;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * OPEN (RFC 8881 section 18.16, RFC 7530 section 16.16) for reading. Opening pins the object version (size and
 * ETag) the attributes show at that moment: reads under the returned stateid never see another version.
 * Creating, or opening for write, answers NFS4ERR_ROFS; a caller who may not look up in the directory or read
 * (or execute) the file gets NFS4ERR_ACCESS. No delegations are handed out and there is no grace
 * period, so CLAIM_PREVIOUS gets NFS4ERR_NO_GRACE.
 */
public final class OpOpen implements NfsOperation<Args.Open> {
    @Override
    public Result process(CompoundContext ctx, Args.Open args) throws NfsException {
        NfsState state = ctx.services().state();
        ClientRecord client = ctx.minorVersion() == 0
                ? state.renew(args.owner().clientid())
                : ctx.sessionClient();
        OpenOwner owner = state.openOwner(client, args.owner().owner());
        return SeqidReplies.run(ctx, owner, args.seqid(), () -> open(ctx, args, owner));
    }

    private SeqidReplies.Reply open(CompoundContext ctx, Args.Open args, OpenOwner owner) throws NfsException {
        NfsState state = ctx.services().state();
        int access = args.shareAccess() & OPEN4_SHARE_ACCESS_MASK;
        int deny = args.shareDeny();
        if (access < OPEN4_SHARE_ACCESS_READ || access > OPEN4_SHARE_ACCESS_BOTH || deny < 0
                || deny > OPEN4_SHARE_DENY_BOTH) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "bad share_access/share_deny");
        }
        if (args.opentype() == OPEN4_CREATE || (access & OPEN4_SHARE_ACCESS_WRITE) != 0) {
            throw new NfsException(NfsStatus.NFS4ERR_ROFS, "read-only export");
        }
        Inode file = switch (args.claimType()) {
            case CLAIM_NULL -> {
                Inode dir = ctx.currentDir();
                ctx.checkAccess(dir, ACCESS4_LOOKUP);
                yield ctx.services().fs().lookup(dir, Names.check(args.claimName()));
            }
            case CLAIM_FH -> {
                if (ctx.minorVersion() == 0) {
                    throw new NfsException(NfsStatus.NFS4ERR_INVAL, "CLAIM_FH is NFSv4.1");
                }
                yield ctx.currentFh();
            }
            case CLAIM_PREVIOUS -> throw new NfsException(NfsStatus.NFS4ERR_NO_GRACE, "no grace period");
            default -> throw new NfsException(NfsStatus.NFS4ERR_NOTSUPP, "no delegations, claim " + args.claimType());
        };
        if (file.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, file.path() + " is a directory");
        }
        ctx.checkAccess(file, ACCESS4_READ | ACCESS4_EXECUTE); // exec needs the bytes too, as in POSIX NFS servers
        FileAttributes version = ctx.services().fs().getattr(file);
        OpenState open = state.open(owner, file, version, access, deny);
        StateId stateId = open.stateId();
        // LOCKTYPE_POSIX: byte-range locks follow POSIX rules; without it Linux refuses fcntl locks (ENOLCK)
        int rflags = OPEN4_RESULT_LOCKTYPE_POSIX
                | (ctx.minorVersion() == 0 && !state.ownerConfirmed(owner) ? OPEN4_RESULT_CONFIRM : 0);
        Result body = w -> {
            stateId.encode(w);
            w.writeBool(false).writeLong(0).writeLong(0); // change_info4: not atomic, nothing changed
            w.writeInt(rflags);
            w.writeInt(0); // attrset: empty bitmap
            w.writeInt(OPEN_DELEGATE_NONE);
        };
        return new SeqidReplies.Reply(NfsStatus.NFS4_OK, body, file, stateId);
    }
}

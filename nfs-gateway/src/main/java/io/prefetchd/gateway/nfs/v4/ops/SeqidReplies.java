package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation.Result;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.OpenOwner;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.util.EnumSet;
import java.util.Set;

/**
 * NFSv4.0 open-owner sequencing shared by OPEN, OPEN_CONFIRM, OPEN_DOWNGRADE and CLOSE (RFC 7530 section 9.1.7):
 * a retransmission (same seqid) gets the previous reply again, a new request must carry the next seqid, and the
 * seqid advances on success and on every error except the few that RFC lists.
 */
final class SeqidReplies {
    private SeqidReplies() {
    }

    private static final Set<NfsStatus> NOT_ADVANCING = EnumSet.of(NfsStatus.NFS4ERR_STALE_CLIENTID,
            NfsStatus.NFS4ERR_STALE_STATEID, NfsStatus.NFS4ERR_BAD_STATEID, NfsStatus.NFS4ERR_BAD_SEQID,
            NfsStatus.NFS4ERR_BADXDR, NfsStatus.NFS4ERR_RESOURCE, NfsStatus.NFS4ERR_NOFILEHANDLE,
            NfsStatus.NFS4ERR_MOVED);

    /** The reply an operation gave, kept on the open-owner for a retransmission. */
    record Reply(NfsStatus status, Result body, Inode fh, StateId stateId) {}

    interface Body {
        Reply run() throws NfsException;
    }

    static Result run(CompoundContext ctx, OpenOwner owner, int seqid, Body body) throws NfsException {
        NfsState state = ctx.services().state();
        if (ctx.minorVersion() >= 1) {
            return apply(ctx, body.run());
        }
        if (state.checkSeqid(owner, seqid) instanceof NfsState.SeqidCheck.Replay replay) {
            return apply(ctx, (Reply) replay.reply());
        }
        Reply reply;
        try {
            reply = body.run();
        } catch (NfsException e) {
            if (!NOT_ADVANCING.contains(e.status())) {
                state.advanceSeqid(owner, seqid, new Reply(e.status(), null, null, null));
            }
            throw e;
        }
        state.advanceSeqid(owner, seqid, reply);
        return apply(ctx, reply);
    }

    private static Result apply(CompoundContext ctx, Reply reply) throws NfsException {
        if (reply.status() != NfsStatus.NFS4_OK) {
            throw new NfsException(reply.status(), "replayed error");
        }
        if (reply.fh() != null) {
            ctx.setCurrentFh(reply.fh());
        }
        if (reply.stateId() != null) {
            ctx.setCurrentStateId(reply.stateId());
        }
        return reply.body();
    }
}

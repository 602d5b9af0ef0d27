package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.nfs.FsErrors;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsErrorWithBody;
import io.prefetchd.gateway.nfs.v4.NfsOperation.Result;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.SeqidOwner;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import static java.util.Objects.requireNonNull;

/**
 * NFSv4.0 owner sequencing (RFC 7530 section 9.1.7), shared by the open-owner operations (OPEN, OPEN_CONFIRM,
 * OPEN_DOWNGRADE, CLOSE) and the lock-owner ones (LOCK, LOCKU): a retransmission (same seqid) gets the previous
 * reply again, a new request must carry the next seqid, and the seqid advances on success and on every error
 * except the few that RFC lists. In 4.1 the slot table orders requests and seqids are ignored.
 */
final class SeqidReplies {
    private SeqidReplies() {
    }

    private static final Set<NfsStatus> NOT_ADVANCING = EnumSet.of(NfsStatus.NFS4ERR_STALE_CLIENTID,
            NfsStatus.NFS4ERR_STALE_STATEID, NfsStatus.NFS4ERR_BAD_STATEID, NfsStatus.NFS4ERR_BAD_SEQID,
            NfsStatus.NFS4ERR_BADXDR, NfsStatus.NFS4ERR_RESOURCE, NfsStatus.NFS4ERR_NOFILEHANDLE,
            NfsStatus.NFS4ERR_MOVED);

    /**
     * The reply an operation gave, kept on the owner for a retransmission. {@code body} is the result after the
     * status: for NFS4_OK, and for the errors that have one (NFS4ERR_DENIED), else null.
     */
    /** A reply kept for a retransmission: {@code body}, {@code fh} and {@code stateId} null when it has none. */
    record Reply(NfsStatus status, @Nullable Result body, @Nullable Inode fh, @Nullable StateId stateId) {}

    interface Body {
        Reply run() throws NfsException, FsException;
    }

    /** Runs {@code body}, with a file-system error as the NFS status it answers (the status a replay repeats). */
    private static Reply runAsNfs(Body body) throws NfsException {
        try {
            return body.run();
        } catch (FsException e) {
            throw FsErrors.toNfs(e);
        }
    }

    static Result run(CompoundContext ctx, SeqidOwner owner, int seqid, Body body) throws NfsException {
        NfsState state = ctx.services().state();
        if (ctx.minorVersion() >= 1) {
            return apply(ctx, runAsNfs(body));
        }
        if (state.checkSeqid(owner, seqid) instanceof NfsState.SeqidCheck.Replay replay) {
            return apply(ctx, (Reply) replay.reply());
        }
        return apply(ctx, recorded(state, owner, seqid, body));
    }

    /**
     * Runs {@code body} for a 4.0 request that also starts the sequence of a second owner (LOCK with a new
     * lock-owner: the open-owner's seqid orders the request, and {@code seqid} becomes the lock-owner's first):
     * the outcome is recorded on {@code owner} as on the first one. A seqid that does not follow a sequence the
     * owner already has is NFS4ERR_BAD_SEQID.
     */
    static Reply alsoStarting(CompoundContext ctx, SeqidOwner owner, int seqid, Body body) throws NfsException {
        NfsState state = ctx.services().state();
        if (ctx.minorVersion() >= 1) {
            return runAsNfs(body);
        }
        if (!(state.checkSeqid(owner, seqid) instanceof NfsState.SeqidCheck.Proceed)) {
            throw new NfsException(NfsStatus.NFS4ERR_BAD_SEQID, "lock-owner seqid " + seqid + " repeats its last");
        }
        return recorded(state, owner, seqid, body);
    }

    private static Reply recorded(NfsState state, SeqidOwner owner, int seqid, Body body) throws NfsException {
        Reply reply;
        try {
            reply = runAsNfs(body);
        } catch (NfsException e) {
            if (!NOT_ADVANCING.contains(e.status())) {
                Result errorBody = e instanceof NfsErrorWithBody b ? b.body() : null;
                state.advanceSeqid(owner, seqid, new Reply(e.status(), errorBody, null, null));
            }
            throw e;
        }
        state.advanceSeqid(owner, seqid, reply);
        return reply;
    }

    private static Result apply(CompoundContext ctx, Reply reply) throws NfsException {
        if (reply.status() != NfsStatus.NFS4_OK) {
            if (reply.body() != null) {
                throw new NfsErrorWithBody(reply.status(), "replayed error", reply.body());
            }
            throw new NfsException(reply.status(), "replayed error");
        }
        if (reply.fh() != null) {
            ctx.setCurrentFh(reply.fh());
        }
        if (reply.stateId() != null) {
            ctx.setCurrentStateId(reply.stateId());
        }
        return requireNonNull(reply.body(), "a success carries its result");
    }
}

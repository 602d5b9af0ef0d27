package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.nfs.FsErrors;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;

/**
 * One NFSv4 operation. Implementations are stateless singletons: everything a call needs comes from the
 * decoded arguments and the {@link CompoundContext}.
 *
 * @param <A> the decoded arguments (a record of {@code Args}, or {@code Void})
 */
public interface NfsOperation<A> {

    /** The body that follows a successful status in the operation's result. */
    @FunctionalInterface
    interface Result {
        Result VOID = w -> {
        };

        void encode(XdrWriter w);
    }

    /**
     * Runs the operation.
     *
     * @return the result body for status NFS4_OK
     * @throws NfsException with the status to answer; the COMPOUND stops there
     * @throws FsException  from the file system, answered with the status {@link FsErrors} gives it
     */
    Result process(CompoundContext ctx, A args) throws NfsException, FsException;

    /**
     * The body that follows an error status. Most results are a status alone on error; a few carry data whatever
     * the status (SETATTR4res's attrsset, for one), and answer it here.
     */
    default Result failure(NfsStatus status) {
        return Result.VOID;
    }
}

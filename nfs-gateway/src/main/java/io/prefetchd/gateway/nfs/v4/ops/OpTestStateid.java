package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.StateId;

/** TEST_STATEID (RFC 8881 section 18.48). */
public final class OpTestStateid implements NfsOperation<Args.TestStateid> {
    @Override
    public Result process(CompoundContext ctx, Args.TestStateid args) {
        StateId[] ids = args.stateids();
        int[] codes = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            codes[i] = ctx.services().state().test(ids[i]).code();
        }
        return w -> w.writeIntArray(codes);
    }
}

package io.prefetchd.gateway.nfs.rpc;

import org.dcache.oncrpc4j.rpc.RpcCall;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;

/**
 * Answers a call for a served program at a version it does not serve with PROG_MISMATCH and the versions served
 * (RFC 5531 section 9), so an NFSv3 client learns that only version 4 is here. oncrpc4j's dispatcher looks
 * programs up by (program, version) and would answer PROG_UNAVAIL. Stateless and thread-safe.
 */
final class ProgramVersionFilter extends BaseFilter {
    private final int program;
    private final int version;

    ProgramVersionFilter(int program, int version) {
        this.program = program;
        this.version = version;
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) {
        if (ctx.getMessage() instanceof RpcCall call && call.getProgram() == program
                && call.getProgramVersion() != version) {
            call.failProgramMismatch(version, version);
            return ctx.getStopAction();
        }
        return ctx.getInvokeAction();
    }
}

package io.prefetchd.gateway.nfs.rpc;

import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.dcache.oncrpc4j.rpc.OncRpcException;
import org.dcache.oncrpc4j.rpc.RpcAuthTypeUnix;
import org.dcache.oncrpc4j.rpc.RpcCall;
import org.dcache.oncrpc4j.rpc.RpcDispatchable;
import org.dcache.oncrpc4j.xdr.Xdr;
import org.dcache.oncrpc4j.xdr.XdrVoid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static java.util.Objects.requireNonNull;

/**
 * The NFS program (100003, version 4) on oncrpc4j: NULL and COMPOUND. The call body is copied out of oncrpc4j's
 * buffer once and decoded by our own bounds-checked {@link io.prefetchd.gateway.nfs.xdr.XdrReader}; anything that
 * does not decode is answered GARBAGE_ARGS and the connection keeps serving. Replies go out as COMPOUNDs complete,
 * not in the order the calls came: a READ waiting on S3 does not hold up the replies behind it on its connection.
 */
public final class Nfs4RpcService implements RpcDispatchable {
    private static final Logger LOG = LoggerFactory.getLogger(Nfs4RpcService.class);

    private final CompoundProcessor processor;
    private final NfsMetrics metrics;

    public Nfs4RpcService(CompoundProcessor processor, NfsMetrics metrics) {
        this.processor = requireNonNull(processor, "processor is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    @Override
    public void dispatchOncRpcCall(RpcCall call) throws OncRpcException, IOException {
        switch (call.getProcedure()) {
            case Nfs4.PROC_NULL -> call.reply(XdrVoid.XDR_VOID);
            case Nfs4.PROC_COMPOUND -> compound(call);
            default -> call.failProcedureUnavailable();
        }
    }

    /**
     * Decodes and starts the COMPOUND on this worker thread; the reply is sent when the COMPOUND completes, which
     * for a READ waiting on S3 is later, from another worker (oncrpc4j's {@link RpcCall#reply} may be called from
     * any thread once the call's arguments have been retrieved).
     */
    private void compound(RpcCall call) {
        RawXdr.Incoming body = new RawXdr.Incoming();
        CompletableFuture<XdrWriter> reply;
        try {
            call.retrieveCall(body);
            reply = processor.processAsync(body.bytes(), caller(call), body.offset());
        } catch (XdrException | IOException e) {
            metrics.garbageArgs();
            LOG.debug("GARBAGE_ARGS from {}: {}", call.getTransport().getRemoteSocketAddress(), e.getMessage());
            call.failRpcGarbage();
            return;
        } catch (RuntimeException e) {
            LOG.error("COMPOUND failed", e);
            call.failRpcSystem();
            return;
        }
        reply.whenComplete((w, failure) -> {
            if (failure != null) {
                LOG.error("COMPOUND failed", failure);
                call.failRpcSystem();
            } else {
                call.reply(new RawXdr.Outgoing(w));
            }
        });
    }

    /**
     * Who called: the AUTH_SYS credential (anything else is anonymous) and the TCP peer's address. A connection
     * without a resolved peer address (none is known on TCP) would count as the unspecified address, which only a
     * {@code *} or {@code 0.0.0.0/0} rule admits.
     */
    static CompoundContext.Caller caller(RpcCall call) {
        InetSocketAddress peer = call.getTransport().getRemoteSocketAddress();
        InetAddress address = peer == null || peer.getAddress() == null ? UNSPECIFIED : peer.getAddress();
        String remote = peer == null ? "" : peer.getAddress() == null ? peer.getHostString() + ":" + peer.getPort()
                : peer.getAddress().getHostAddress() + ":" + peer.getPort();
        if (call.getCredential() instanceof RpcAuthTypeUnix unix) {
            List<Integer> groups = new ArrayList<>(unix.gids().length);
            for (int g : unix.gids()) {
                groups.add(g);
            }
            return new CompoundContext.Caller(unix.uid(), unix.gid(), groups, machineName(unix), address, remote);
        }
        return new CompoundContext.Caller(-1, -1, List.of(), "", address, remote);
    }

    /**
     * The AUTH_SYS machine name, which oncrpc4j decodes but does not expose: the credential is encoded again
     * (flavor, length, stamp, machine name, ...) and the name read back.
     */
    private static String machineName(RpcAuthTypeUnix unix) {
        try {
            Xdr xdr = new Xdr(512);
            xdr.beginEncoding();
            unix.xdrEncode(xdr);
            xdr.endEncoding();
            xdr.beginDecoding();
            xdr.xdrDecodeInt();
            xdr.xdrDecodeInt();
            xdr.xdrDecodeInt();
            return xdr.xdrDecodeString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static final InetAddress UNSPECIFIED;

    static {
        try {
            UNSPECIFIED = InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}

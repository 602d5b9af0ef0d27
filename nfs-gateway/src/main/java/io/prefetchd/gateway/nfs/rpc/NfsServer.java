package io.prefetchd.gateway.nfs.rpc;

import io.prefetchd.gateway.nfs.xdr.Nfs4;
import org.dcache.oncrpc4j.rpc.OncRpcProgram;
import org.dcache.oncrpc4j.rpc.OncRpcSvc;
import org.dcache.oncrpc4j.rpc.OncRpcSvcBuilder;
import org.dcache.oncrpc4j.rpc.net.IpProtocolType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

import static java.util.Objects.requireNonNull;

/**
 * The NFSv4 TCP listener: oncrpc4j with a worker pool (reads may wait on S3, so they must not block the
 * selector), no portmapper registration (NFSv4 needs none).
 */
public final class NfsServer implements AutoCloseable {
    private final OncRpcSvc svc;

    public NfsServer(String bindAddress, int port, int workerThreads, Nfs4RpcService service) {
        requireNonNull(bindAddress, "bindAddress is null");
        requireNonNull(service, "service is null");
        this.svc = new OncRpcSvcBuilder()
                .withTCP()
                .withBindAddress(bindAddress)
                .withPort(port)
                .withoutAutoPublish()
                .withWorkerThreadIoStrategy()
                .withWorkerThreadPoolSize(workerThreads)
                .withServiceName("prefetchd-nfs")
                .withRpcService(new OncRpcProgram(Nfs4.PROGRAM, Nfs4.VERSION), service)
                .build();
    }

    public NfsServer start() {
        try {
            svc.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the NFS server: " + e.getMessage(), e);
        }
        return this;
    }

    public int port() {
        InetSocketAddress a = svc.getInetSocketAddress(IpProtocolType.TCP);
        return a.getPort();
    }

    @Override
    public void close() {
        try {
            svc.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.prefetchd.gateway.nfs.rpc;

import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import org.dcache.oncrpc4j.grizzly.GrizzlyUtils;
import org.dcache.oncrpc4j.rpc.IoStrategy;
import org.dcache.oncrpc4j.rpc.MemoryAllocator;
import org.dcache.oncrpc4j.rpc.OncRpcProgram;
import org.dcache.oncrpc4j.rpc.ReplyQueue;
import org.dcache.oncrpc4j.rpc.RpcDispatcher;
import org.dcache.oncrpc4j.rpc.RpcMessageParserTCP;
import org.dcache.oncrpc4j.rpc.RpcProtocolFilter;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.nio.transport.TCPNIOTransportBuilder;
import org.glassfish.grizzly.threadpool.ThreadPoolConfig;
import org.glassfish.grizzly.utils.DelayedExecutor;
import org.glassfish.grizzly.utils.IdleTimeoutFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The NFSv4 TCP listener: oncrpc4j's RPC parsing and dispatch on a Grizzly transport whose filter chain
 * prefetchd assembles itself, so that it can guard the connection before oncrpc4j sees it:
 * <pre>
 *   transport → idle timeout → record size cap → RPC record parser → RPC call decoder → version check
 *             → dispatch to the worker pool
 * </pre>
 * <ul>
 *   <li>a connection with no traffic for {@link ConnectionLimits#idleTimeout()} is closed (clients reconnect);</li>
 *   <li>a record larger than {@link ConnectionLimits#maxRecordBytes()} closes its connection before any of it
 *       is buffered ({@link RecordSizeFilter});</li>
 *   <li>a call for NFS at another version than 4 gets PROG_MISMATCH 4–4 ({@link ProgramVersionFilter});</li>
 *   <li>COMPOUNDs run on a pool of worker threads, never on the selector. A READ that misses the cache does not
 *       hold its worker while S3 answers: the COMPOUND is suspended and resumed on the pool when the bytes arrive
 *       (see {@link io.prefetchd.gateway.nfs.v4.CompoundProcessor}), so the workers are only ever busy with CPU
 *       and local disk work. No portmapper registration: NFSv4 needs none.</li>
 * </ul>
 */
public final class NfsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NfsServer.class);
    private static final int BACKLOG = 4096;

    /**
     * Bounds every connection is held to.
     *
     * @param maxRecordBytes largest RPC record a client may send, fragment headers included; at least the largest
     *                       request a session negotiates (ca_maxrequestsize) plus 4 bytes
     * @param idleTimeout    a connection with no traffic for this long is closed; longer than the lease, since an
     *                       idle mounted client renews at 2/3 of it
     */
    public record ConnectionLimits(long maxRecordBytes, Duration idleTimeout) {
        public ConnectionLimits {
            requireNonNull(idleTimeout, "idleTimeout is null");
            if (maxRecordBytes < 1024) {
                throw new IllegalArgumentException("maxRecordBytes must be at least 1024, not " + maxRecordBytes);
            }
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be positive, not " + idleTimeout);
            }
        }

        /**
         * 1 MiB + 128 KiB: above the largest request a session negotiates by default (1 MiB + 64 KiB, room for a
         * 1 MiB WRITE and its headers); 5 minutes idle, longer than any sensible lease.
         */
        public static ConnectionLimits defaults() {
            return new ConnectionLimits((1 << 20) + (128 << 10), Duration.ofMinutes(5));
        }
    }

    private final TCPNIOTransport transport;
    private final ExecutorService workers;
    private final DelayedExecutor idleTimer;
    private final ReplyQueue replies = new ReplyQueue();
    private final String bindAddress;
    private final int port;
    private volatile @Nullable Connection<?> listener;   // set by start

    public NfsServer(String bindAddress, int port, int workerThreads, ConnectionLimits limits, Nfs4RpcService service,
                     NfsMetrics metrics) {
        this(bindAddress, port, workerPool(workerThreads), limits, service, metrics);
    }

    /**
     * @param workers the pool COMPOUNDs run on ({@link #workerPool}); the same pool should be the one the
     *                {@link io.prefetchd.gateway.nfs.v4.CompoundProcessor} resumes COMPOUNDs on after a READ waited
     *                on S3. The server shuts it down on {@link #close}.
     */
    public NfsServer(String bindAddress, int port, ExecutorService workers, ConnectionLimits limits,
                     Nfs4RpcService service, NfsMetrics metrics) {
        this.bindAddress = requireNonNull(bindAddress, "bindAddress is null");
        this.port = port;
        this.workers = requireNonNull(workers, "workers is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(service, "service is null");
        requireNonNull(metrics, "metrics is null");
        this.idleTimer = IdleTimeoutFilter.createDefaultIdleDelayedExecutor(1, TimeUnit.SECONDS);
        ThreadPoolConfig selectors = GrizzlyUtils.getSelectorPoolCfg(IoStrategy.WORKER_THREAD, "prefetchd-nfs", 0);
        this.transport = TCPNIOTransportBuilder.newInstance()
                .setReuseAddress(true)
                .setIOStrategy(GrizzlyUtils.getNIOStrategy(IoStrategy.WORKER_THREAD))
                .setSelectorThreadPoolConfig(selectors)
                .setSelectorRunnersCount(selectors.getMaxPoolSize())
                .setTcpNoDelay(true)
                .setMemoryManager(GrizzlyUtils.getMemoryManager(MemoryAllocator.DEFAULT))
                .build();
        transport.setProcessor(FilterChainBuilder.stateless()
                .add(new TransportFilter())
                .add(new IdleTimeoutFilter(idleTimer, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS, c -> {
                    LOG.info("closing NFS connection from {}: idle for {}", c.getPeerAddress(), limits.idleTimeout());
                    metrics.connectionClosed("idle");
                    c.closeSilently();
                }))
                .add(new RecordSizeFilter(limits.maxRecordBytes(), c -> metrics.connectionClosed("record-too-large")))
                .add(new RpcMessageParserTCP())
                .add(new RpcProtocolFilter(replies))
                .add(new ProgramVersionFilter(Nfs4.PROGRAM, Nfs4.VERSION))
                .add(new RpcDispatcher(workers, Map.of(new OncRpcProgram(Nfs4.PROGRAM, Nfs4.VERSION), service),
                        false, call -> {
                        }))
                .build());
    }

    /**
     * A pool of {@code threads} NFS workers with one FIFO queue: calls from every connection are executed in the order
     * they arrived, so no connection can starve another, and a COMPOUND resumed after S3 answered queues behind
     * the calls that came before its answer.
     */
    public static ExecutorService workerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "prefetchd-nfs-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public NfsServer start() {
        try {
            idleTimer.start();
            listener = transport.bind(bindAddress, port, BACKLOG);
            transport.start();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot start the NFS server: " + e.getMessage(), e);
        }
        return this;
    }

    public int port() {
        Connection<?> l = requireNonNull(listener, "the server is not started");
        return ((InetSocketAddress) l.getLocalAddress()).getPort();
    }

    @Override
    public void close() {
        try {
            transport.shutdownNow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            idleTimer.destroy();
            workers.shutdownNow();
            replies.shutdown();
        }
    }
}

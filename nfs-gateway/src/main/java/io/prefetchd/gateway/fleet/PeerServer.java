package io.prefetchd.gateway.fleet;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The owner's side of the peer data channel: answers {@link PeerProtocol#READ} from this gateway's own cache, which
 * single-flights the S3 GET of a missing block and keeps the block. It serves whatever it is asked, owner or not: a
 * member that sent a read here during an ownership change gets correct bytes, and this cache keeps a block it may
 * own a moment later.
 *
 * <p>Reads block on the cache, so they run on a pool of their own, never on gRPC's event loop.
 */
final class PeerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerServer.class);

    private final Server server;
    private final ExecutorService readers;

    private PeerServer(Server server, ExecutorService readers) {
        this.server = server;
        this.readers = readers;
    }

    /**
     * Listens on {@code bind:port} (0 = any free port).
     *
     * @param auth what every read must be signed with, and every reply is
     * @param threads reads served at once (each may wait for an S3 GET)
     */
    static PeerServer start(String bind, int port, PeerAuth auth, ExtentCache local, FleetMetrics metrics, int threads,
                            Supplier<PrefetchExecutor> planner) {
        requireNonNull(auth, "auth is null");
        requireNonNull(planner, "planner is null");
        requireNonNull(local, "local is null");
        requireNonNull(metrics, "metrics is null");
        AtomicInteger n = new AtomicInteger();
        ExecutorService readers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "prefetchd-fleet-peer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ServerServiceDefinition service = ServerServiceDefinition.builder(PeerProtocol.SERVICE)
                .addMethod(PeerProtocol.READ, ServerCalls.asyncUnaryCall((req, out) -> serve(local, metrics, planner.get(), req, out)))
                .build();
        try {
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress(bind, port))
                    .executor(readers)
                    .maxInboundMessageSize(PeerProtocol.MAX_MESSAGE)
                    .addService(auth.enabled() ? ServerInterceptors.intercept(service, auth.serverSide()) : service)
                    .build()
                    .start();
            return new PeerServer(server, readers);
        } catch (IOException e) {
            readers.shutdownNow();
            throw new UncheckedIOException("cannot listen for fleet peers on " + bind + ":" + port, e);
        }
    }

    /**
     * Reads the request from {@code local}; {@code planner} (null for none) is told of the read, so that it sees every
     * read of the grains this member owns, whichever member a reader mounted. The read is the reading member's to
     * report, not this one's.
     */
    private static void serve(ExtentCache local, FleetMetrics metrics, PrefetchExecutor planner,
                              PeerProtocol.ReadRequest req, StreamObserver<PeerProtocol.ReadReply> out) {
        if (req.cachedOnly()) {
            serveCached(local, metrics, req, out);
            return;
        }
        ExtentCache.CachedRead read = null;
        String key = req.object().key();
        String etag = req.object().etag();
        if (planner != null) {
            planner.beforeRead(key, etag, req.offset());
        }
        try {
            read = local.readTracked(req.object(), req.offset(), req.length());
        } catch (ObjectStoreException e) {
            out.onError(status(e));
            return;
        } catch (IllegalStateException e) {   // closing
            out.onError(Status.UNAVAILABLE.withDescription("this member is stopping").asRuntimeException());
            return;
        } catch (RuntimeException e) {
            LOG.warn("serving a peer read of {} [{}, +{}): {}", req.object().key(), req.offset(), req.length(),
                    e.toString());
            out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            return;
        } finally {
            if (planner != null) {
                planner.afterPeerRead(key);
            }
        }
        metrics.served(read.data().length);
        out.onNext(new PeerProtocol.ReadReply(read.data(), read.missedBlocks()));
        out.onCompleted();
    }

    /**
     * A hand-over: the bytes when this cache holds every one of them, else {@link PeerProtocol#NOT_CACHED}. Nothing is
     * fetched for it, except a block evicted between the check and the read. Planners are not told: the asking
     * member owns the grain now and plans for it.
     */
    private static void serveCached(ExtentCache local, FleetMetrics metrics, PeerProtocol.ReadRequest req,
                                    StreamObserver<PeerProtocol.ReadReply> out) {
        ExtentCache.CachedRead read;
        try {
            long end = req.offset() + req.length();
            if (!covers(local.cachedRanges(req.object(), req.offset(), end), req.offset(), end)) {
                out.onError(PeerProtocol.NOT_CACHED.asRuntimeException());
                return;
            }
            read = local.readTracked(req.object(), req.offset(), req.length());
        } catch (IllegalStateException e) {   // closing
            out.onError(Status.UNAVAILABLE.withDescription("this member is stopping").asRuntimeException());
            return;
        } catch (RuntimeException e) {   // whatever it is, the asking member reads from S3
            out.onError(Status.UNAVAILABLE.withDescription(e.toString()).asRuntimeException());
            return;
        }
        metrics.served(read.data().length);
        out.onNext(new PeerProtocol.ReadReply(read.data(), read.missedBlocks()));
        out.onCompleted();
    }

    /** Whether {@code ranges} (in any order, possibly overlapping) cover {@code [start, end)}. */
    static boolean covers(List<ExtentCache.Range> ranges, long start, long end) {
        List<ExtentCache.Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(ExtentCache.Range::offset));
        long covered = start;
        for (ExtentCache.Range r : sorted) {
            if (covered >= end || r.offset() > covered) {
                break;
            }
            covered = Math.max(covered, r.offset() + r.length());
        }
        return covered >= end;
    }

    /**
     * What an S3 failure means to the asking member: the object's answers (gone, changed, forbidden) are final and
     * carried over; anything else is UNAVAILABLE, and the member reads from S3 itself.
     */
    static StatusRuntimeException status(ObjectStoreException e) {
        Status s = switch (e.kind()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case CHANGED -> Status.FAILED_PRECONDITION;
            case ACCESS_DENIED -> Status.PERMISSION_DENIED;
            default -> Status.UNAVAILABLE;
        };
        return s.withDescription(e.getMessage()).asRuntimeException();
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
        readers.shutdownNow();
        try {
            server.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

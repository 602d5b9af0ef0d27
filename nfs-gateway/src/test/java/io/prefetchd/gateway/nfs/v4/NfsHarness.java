package io.prefetchd.gateway.nfs.v4;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The NFS protocol layer over an in-memory bucket, driven COMPOUND by COMPOUND without sockets: the fluent
 * {@link CompoundBuilder} in, the decoded {@link CompoundReply} out.
 */
final class NfsHarness {
    final ManualClock clock = new ManualClock();
    final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    final FileHandles handles;
    final NfsState state;
    final CompoundProcessor processor;
    final Nfs4Services services;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    static final Duration LEASE = Duration.ofSeconds(60);

    long clientId;
    byte[] sessionId;
    int seq;

    NfsHarness() {
        this(null);
    }

    NfsHarness(Path stateDir) {
        this(stateDir, null);
    }

    /** Who the requests come from (AUTH_NONE from loopback unless a test says otherwise). */
    CompoundContext.Caller caller = CompoundContext.Caller.ANONYMOUS;

    /** @param access the export table and ownership, or null for the defaults */
    NfsHarness(Path stateDir, AccessControl access) {
        this(stateDir, access, null);
    }

    /**
     * Over {@code fs} (null: an {@link S3FileSystem} over {@link #store}), with {@code access} (null: the default
     * export table and ownership).
     */
    NfsHarness(Path stateDir, AccessControl access, VirtualFileSystem fs) {
        handles = new FileHandles("bucket/", stateDir);
        if (fs == null) {
            fs = new S3FileSystem(store, "", new PassThroughCache(store), handles::fileId,
                    MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
        }
        state = new NfsState(clock, LEASE);
        NfsLimits limits = NfsLimits.defaults();
        byte[] serverOwner = "test-server".getBytes(StandardCharsets.UTF_8);
        services = access == null
                ? new Nfs4Services(fs, handles, state, new AttributeEncoder(handles, fs, LEASE, limits), limits, clock,
                        serverOwner, ReadObserver.NONE)
                : new Nfs4Services(fs, handles, state, new AttributeEncoder(handles, fs, LEASE, limits,
                        access.ownership()), limits, clock, serverOwner, ReadObserver.NONE, access);
        processor = new CompoundProcessor(services, new NfsMetrics(registry));
    }

    NfsHarness put(String key, String content) {
        store.put(key, content.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    byte[] raw(byte[] request) throws XdrException {
        return processor.process(request, caller);
    }

    CompoundReply send(CompoundBuilder b) {
        return send(b, caller);
    }

    CompoundReply send(CompoundBuilder b, CompoundContext.Caller caller) {
        try {
            return CompoundReply.decode(processor.process(b.build(), caller));
        } catch (XdrException e) {
            throw new AssertionError("garbage: " + e.getMessage(), e);
        }
    }

    /** EXCHANGE_ID + CREATE_SESSION + RECLAIM_COMPLETE, as the Linux client mounts. */
    NfsHarness mount41() {
        CompoundReply ex = send(new CompoundBuilder(1).exchangeId(new byte[8], "linux-client".getBytes(), 0));
        assertEquals(NfsStatus.NFS4_OK, ex.status());
        var e = ex.last().as(CompoundReply.ExchangeId.class);
        clientId = e.clientId();
        CompoundReply cs = send(new CompoundBuilder(1).createSession(clientId, e.sequenceId(), 8, 4, 1 << 20));
        assertEquals(NfsStatus.NFS4_OK, cs.status(), cs.toString());
        sessionId = cs.last().as(CompoundReply.CreateSession.class).sessionId();
        seq = 0;
        assertEquals(NfsStatus.NFS4_OK, call41(b -> b.reclaimComplete(false)).status());
        return this;
    }

    /** SEQUENCE on slot 0 with the next seqid, then {@code ops}. */
    CompoundReply call41(UnaryOperator<CompoundBuilder> ops) {
        return send(ops.apply(new CompoundBuilder(1).sequence(sessionId, ++seq, 0, 0, true)));
    }

    CompoundBuilder next41(boolean cacheThis) {
        return new CompoundBuilder(1).sequence(sessionId, ++seq, 0, 0, cacheThis);
    }

    static CompoundReply ok(CompoundReply r) {
        assertEquals(NfsStatus.NFS4_OK, r.status(), () -> "reply " + r);
        return r;
    }
}

package io.prefetchd.gateway.nfs.client;

import io.prefetchd.gateway.nfs.rpc.RawXdr;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.dcache.oncrpc4j.rpc.OncRpcClient;
import org.dcache.oncrpc4j.rpc.RpcAuthTypeUnix;
import org.dcache.oncrpc4j.rpc.RpcCall;
import org.dcache.oncrpc4j.rpc.RpcTransport;
import org.dcache.oncrpc4j.rpc.net.IpProtocolType;
import org.dcache.oncrpc4j.xdr.XdrVoid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A small NFSv4.1 client over one TCP connection: enough to mount, walk paths, open, read and close. Used by the
 * tests (a real RPC connection to the server) and by the throughput benchmark. Thread-safe: concurrent calls use
 * different session slots.
 */
public final class Nfs4Client implements AutoCloseable {
    private static final int PROC_COMPOUND = 1;

    private final OncRpcClient rpc;
    private final RpcTransport transport;
    private final long clientId;
    private final byte[] sessionId;
    private final BlockingQueue<int[]> slots;
    private final int highestSlot;
    private final byte[] owner;

    /** An open file: its handle, the stateid of the open and its size. */
    public record OpenFile(byte[] fh, StateId stateId, long size) {}

    private Nfs4Client(OncRpcClient rpc, RpcTransport transport, String ownerName, int slotCount) throws IOException {
        this.rpc = rpc;
        this.transport = transport;
        this.owner = ownerName.getBytes(StandardCharsets.UTF_8);
        try {
            new RpcCall(Nfs4.PROGRAM, Nfs4.VERSION, auth(), transport)
                    .call(0, XdrVoid.XDR_VOID, new RawXdr.Incoming(), 10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IOException("NULL call timed out", e);
        }
        CompoundReply ex = sessionless(new CompoundBuilder(1).exchangeId(new byte[8], owner, 0));
        CompoundReply.ExchangeId eid = ex.last().as(CompoundReply.ExchangeId.class);
        this.clientId = eid.clientId();
        CompoundReply cs = sessionless(new CompoundBuilder(1).createSession(clientId, eid.sequenceId(), 8, slotCount,
                (1 << 20) + 4096));
        CompoundReply.CreateSession s = cs.last().as(CompoundReply.CreateSession.class);
        this.sessionId = s.sessionId();
        this.highestSlot = s.maxRequests() - 1;
        this.slots = new ArrayBlockingQueue<>(s.maxRequests());
        for (int i = 0; i < s.maxRequests(); i++) {
            slots.add(new int[] {i, 0});
        }
        expectOk(call(b -> b.reclaimComplete(false)));
    }

    public static Nfs4Client connect(String host, int port) {
        return connect(host, port, "prefetchd-client-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), 16);
    }

    public static Nfs4Client connect(String host, int port, String ownerName, int slots) {
        try {
            OncRpcClient rpc = new OncRpcClient(InetAddress.getByName(host), IpProtocolType.TCP, port);
            RpcTransport t = rpc.connect();
            return new Nfs4Client(rpc, t, ownerName, slots);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to NFS server " + host + ":" + port, e);
        }
    }

    private static RpcAuthTypeUnix auth() {
        return new RpcAuthTypeUnix(0, 0, new int[0], 0, "prefetchd-client");
    }

    public long clientId() {
        return clientId;
    }

    public byte[] sessionId() {
        return sessionId.clone();
    }

    /** Sends raw COMPOUND bytes and returns the raw reply bytes. */
    public byte[] rawCall(byte[] compound) throws IOException {
        return rawCall(XdrWriter.of(compound));
    }

    /** Sends a COMPOUND as written (shared payloads spliced in as it goes out) and returns the raw reply bytes. */
    private byte[] rawCall(XdrWriter compound) throws IOException {
        RawXdr.Incoming reply = new RawXdr.Incoming();
        try {
            new RpcCall(Nfs4.PROGRAM, Nfs4.VERSION, auth(), transport)
                    .call(PROC_COMPOUND, new RawXdr.Outgoing(compound), reply, 60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IOException("COMPOUND timed out", e);
        }
        return reply.bytes();
    }

    private CompoundReply sessionless(CompoundBuilder b) throws IOException {
        return expectOk(decode(rawCall(b.encoded())));
    }

    /** Runs SEQUENCE plus the operations {@code ops} adds, on a free slot. */
    public CompoundReply call(UnaryOperator<CompoundBuilder> ops) {
        int[] slot;
        try {
            slot = slots.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        try {
            CompoundBuilder b = new CompoundBuilder(1).sequence(sessionId, slot[1] + 1, slot[0], highestSlot, false);
            CompoundReply r = decode(rawCall(ops.apply(b).encoded()));
            if (r.results().isEmpty() || r.results().get(0).status() == NfsStatus.NFS4_OK) {
                slot[1]++;
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            slots.add(slot);
        }
    }

    private static CompoundReply decode(byte[] bytes) {
        try {
            return CompoundReply.decode(bytes);
        } catch (XdrException e) {
            throw new IllegalStateException("undecodable reply: " + e.getMessage(), e);
        }
    }

    public static CompoundReply expectOk(CompoundReply r) {
        if (r.status() != NfsStatus.NFS4_OK) {
            throw new NfsCallException(r);
        }
        return r;
    }

    /** The handle of {@code path} ("/a/b" or "a/b"). */
    public byte[] lookup(String path) {
        CompoundReply r = expectOk(call(b -> {
            b.putrootfh();
            for (String c : path.split("/")) {
                if (!c.isEmpty()) {
                    b.lookup(c);
                }
            }
            return b.getfh();
        }));
        return r.last().as(byte[].class);
    }

    /** Opens {@code path} for reading: one COMPOUND walks to its directory, a second opens the name in it. */
    public OpenFile open(String path) {
        int slash = path.lastIndexOf('/');
        byte[] dir = lookup(slash <= 0 ? "/" : path.substring(0, slash));
        return open(dir, path.substring(slash + 1));
    }

    /**
     * Opens {@code name} in the directory whose handle is {@code dir}, for reading, in one COMPOUND
     * ({@code PUTFH OPEN GETFH GETATTR}): what the Linux client sends for {@code open(2)} of a name in a directory
     * it has looked up before.
     */
    public OpenFile open(byte[] dir, String name) {
        CompoundReply r = expectOk(call(b -> b.putfh(dir).open(0, clientId, owner, Nfs4.OPEN4_SHARE_ACCESS_READ, 0,
                name).getfh().getattr(Attr.SIZE)));
        return new OpenFile(r.op(Nfs4.OP_GETFH).as(byte[].class),
                r.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId(),
                r.op(Nfs4.OP_GETATTR).as(CompoundReply.Fattr.class).size());
    }

    /** Creates {@code path} (or truncates it, when it exists) and opens it for reading and writing. */
    public OpenFile create(String path) {
        int slash = path.lastIndexOf('/');
        byte[] dir = lookup(slash <= 0 ? "/" : path.substring(0, slash));
        String name = path.substring(slash + 1);
        CompoundReply r = expectOk(call(b -> b.putfh(dir).openCreate(0, clientId, owner,
                Nfs4.OPEN4_SHARE_ACCESS_BOTH, Nfs4.UNCHECKED4, new CompoundBuilder.Sattr().size(0), 0, name).getfh()));
        return new OpenFile(r.op(Nfs4.OP_GETFH).as(byte[].class),
                r.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId(), 0);
    }

    /** WRITE of {@code data} at {@code offset}, with {@code stable} one of UNSTABLE4, DATA_SYNC4, FILE_SYNC4. */
    public CompoundReply.Write write(OpenFile f, long offset, int stable, byte[] data) {
        CompoundReply r = expectOk(call(b -> b.putfh(f.fh()).write(f.stateId(), offset, stable, data)));
        return r.last().as(CompoundReply.Write.class);
    }

    /** COMMIT of the whole file; returns the write verifier. */
    public long commit(OpenFile f) {
        CompoundReply r = expectOk(call(b -> b.putfh(f.fh()).commit(0, 0)));
        return r.last().as(Long.class);
    }

    public CompoundReply.Read read(OpenFile f, long offset, int count) {
        CompoundReply r = expectOk(call(b -> b.putfh(f.fh()).read(f.stateId(), offset, count)));
        return r.last().as(CompoundReply.Read.class);
    }

    /** The whole file, read in {@code chunk}-byte READs. */
    public byte[] readAll(OpenFile f, int chunk) {
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(f.size()));
        long off = 0;
        while (true) {
            CompoundReply.Read r = read(f, off, chunk);
            out.put(r.data());
            off += r.data().length;
            if (r.eof() || r.data().length == 0) {
                break;
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    public void closeFile(OpenFile f) {
        expectOk(call(b -> b.putfh(f.fh()).close(0, f.stateId())));
    }

    @Override
    public void close() {
        try {
            call(b -> b.destroySession(sessionId));
            sessionless(new CompoundBuilder(1).destroyClientId(clientId));
        } catch (RuntimeException | IOException e) {
            // best effort: the server expires the client anyway
        } finally {
            try {
                rpc.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    /** A COMPOUND that did not succeed; carries the decoded reply. */
    public static final class NfsCallException extends RuntimeException {
        private final CompoundReply reply;

        NfsCallException(CompoundReply reply) {
            super("COMPOUND failed: " + reply.status() + " " + reply.results());
            this.reply = reply;
        }

        public CompoundReply reply() {
            return reply;
        }
    }
}

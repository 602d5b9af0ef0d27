package io.prefetchd.gateway.nfs.rpc;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundProcessor;
import io.prefetchd.gateway.nfs.v4.FileHandles;
import io.prefetchd.gateway.nfs.v4.Nfs4Services;
import io.prefetchd.gateway.nfs.v4.NfsLimits;
import io.prefetchd.gateway.nfs.v4.NfsMetrics;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The NFS listener on a real loopback socket: RPC version negotiation, the AUTH_SYS principal reaching the client
 * ID rules, and the record size cap and idle timeout closing the offending connection only while other clients
 * keep being served.
 */
class NfsServerTest {
    private static final int MAX_RECORD = 64 * 1024;
    private static final int ACCEPTED = 0;
    private static final int PROG_MISMATCH = 2;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private NfsServer server;

    private NfsServer start(Duration idleTimeout) {
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
        store.put("hello.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
        FileHandles handles = new FileHandles("bucket/", null);
        S3FileSystem fs = new S3FileSystem(store, "", new PassThroughCache(store), handles::fileId,
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, Runnable::run, new SimpleMeterRegistry());
        Duration lease = Duration.ofSeconds(60);
        NfsLimits limits = NfsLimits.defaults();
        Nfs4Services services = new Nfs4Services(fs, handles, new NfsState(clock, lease),
                new AttributeEncoder(handles, fs, lease, limits), limits, clock, "test".getBytes(), ReadObserver.NONE);
        NfsMetrics metrics = new NfsMetrics(registry);
        server = new NfsServer("127.0.0.1", 0, 4, new NfsServer.ConnectionLimits(MAX_RECORD, idleTimeout),
                new Nfs4RpcService(new CompoundProcessor(services, metrics), metrics), metrics).start();
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** An RPC call record (one fragment) for NFS at {@code version}, AUTH_NONE, with {@code args} appended. */
    private static byte[] call(int xid, int version, int proc, byte[] args) {
        XdrWriter w = new XdrWriter();
        w.writeInt(0);
        w.writeInt(xid).writeInt(0).writeInt(2).writeInt(Nfs4.PROGRAM).writeInt(version).writeInt(proc);
        w.writeInt(0).writeInt(0).writeInt(0).writeInt(0);
        w.writeFixedOpaque(args);
        w.patchInt(0, 0x80000000 | (w.size() - 4));
        return w.toByteArray();
    }

    /** A COMPOUND call record with an AUTH_SYS credential. */
    private static byte[] compound(int xid, String machine, int uid, CompoundBuilder ops) {
        byte[] args = ops.build();
        XdrWriter cred = new XdrWriter().writeInt(0).writeUtf8(machine).writeInt(uid).writeInt(uid).writeInt(0);
        byte[] credBytes = cred.toByteArray();
        XdrWriter w = new XdrWriter();
        w.writeInt(0);
        w.writeInt(xid).writeInt(0).writeInt(2).writeInt(Nfs4.PROGRAM).writeInt(Nfs4.VERSION)
                .writeInt(Nfs4.PROC_COMPOUND);
        w.writeInt(Nfs4.AUTH_SYS).writeOpaque(credBytes).writeInt(0).writeInt(0);
        w.writeFixedOpaque(args);
        w.patchInt(0, 0x80000000 | (w.size() - 4));
        return w.toByteArray();
    }

    private static CompoundReply compoundReply(DataInputStream in, int xid) throws IOException, XdrException {
        ByteBuffer b = reply(in, xid);
        assertEquals(ACCEPTED, b.getInt(), "accept_stat");
        byte[] rest = new byte[b.remaining()];
        b.get(rest);
        return CompoundReply.decode(rest);
    }

    private static ByteBuffer reply(DataInputStream in, int xid) throws IOException {
        int marker = in.readInt();
        byte[] rec = new byte[marker & 0x7fffffff];
        in.readFully(rec);
        ByteBuffer b = ByteBuffer.wrap(rec);
        assertEquals(xid, b.getInt(), "xid");
        assertEquals(1, b.getInt(), "REPLY");
        assertEquals(0, b.getInt(), "MSG_ACCEPTED");
        b.getInt();
        int verifierLength = b.getInt();
        b.position(b.position() + ((verifierLength + 3) & ~3));
        return b;
    }

    /** Reads until the server closes the connection; fails if it is still open after the socket timeout. */
    private static void assertClosedByServer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // drain whatever was answered before the close
            }
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }

    private static Socket connect(NfsServer server) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        return s;
    }

    private void assertOtherClientsAreServed() {
        try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", server.port())) {
            CompoundReply r = c.call(b -> b.putrootfh().lookup("hello.txt").getattr(Attr.SIZE));
            assertEquals(6, r.last().as(CompoundReply.Fattr.class).size());
        }
    }

    private double closed(String reason) {
        var c = registry.find("prefetchd.nfs.connections.closed").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void openByNameInADirectoryHandle_readsTheFile_withNoLookup() {
        start(Duration.ofMinutes(5));
        try (Nfs4Client c = Nfs4Client.connect("127.0.0.1", server.port())) {
            byte[] root = c.lookup("/");
            double lookups = ops("LOOKUP");
            Nfs4Client.OpenFile f = c.open(root, "hello.txt");
            assertEquals("hello\n", new String(c.readAll(f, 4096), StandardCharsets.UTF_8));
            c.closeFile(f);
            assertEquals(lookups, ops("LOOKUP"));
            assertEquals(1, ops("OPEN"));
        }
    }

    private double ops(String op) {
        return registry.find("prefetchd.nfs.ops").tag("op", op).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void callForNfsVersion3_getsProgMismatch4To4_andTheConnectionKeepsServing() throws IOException {
        start(Duration.ofMinutes(5));
        try (Socket s = connect(server)) {
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.write(call(7, 3, Nfs4.PROC_NULL, new byte[0]));
            ByteBuffer r = reply(in, 7);
            assertEquals(PROG_MISMATCH, r.getInt(), "accept_stat");
            assertEquals(4, r.getInt(), "low");
            assertEquals(4, r.getInt(), "high");
            out.write(call(8, 2, Nfs4.PROC_COMPOUND, new byte[0]));
            assertEquals(PROG_MISMATCH, reply(in, 8).getInt());
            out.write(call(9, Nfs4.VERSION, Nfs4.PROC_NULL, new byte[0]));
            assertEquals(ACCEPTED, reply(in, 9).getInt());
        }
    }

    @Test
    void clientOwnerOfAHostWithASession_isInUseForTheSameUidOnAnotherMachine() throws Exception {
        start(Duration.ofMinutes(5));
        byte[] owner = "Linux NFSv4.1 node-a".getBytes(StandardCharsets.UTF_8);
        try (Socket s = connect(server)) {
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.write(compound(1, "node-a", 0, new CompoundBuilder(1).exchangeId(new byte[8], owner, 0)));
            CompoundReply.ExchangeId e = compoundReply(in, 1).last().as(CompoundReply.ExchangeId.class);
            out.write(compound(2, "node-a", 0, new CompoundBuilder(1).createSession(e.clientId(), e.sequenceId(),
                    8, 4, 1 << 20)));
            assertEquals(NfsStatus.NFS4_OK, compoundReply(in, 2).status());
            out.write(compound(3, "node-b", 0, new CompoundBuilder(1).exchangeId(new byte[8], owner, 0)));
            assertEquals(NfsStatus.NFS4ERR_CLID_INUSE, compoundReply(in, 3).status());
            out.write(compound(4, "node-a", 0, new CompoundBuilder(1).exchangeId(new byte[8], owner, 0)));
            CompoundReply.ExchangeId again = compoundReply(in, 4).last().as(CompoundReply.ExchangeId.class);
            assertEquals(e.clientId(), again.clientId());
        }
    }

    @Test
    void recordHeaderAnnouncing2GiB_closesTheConnection_andOtherClientsAreServed() throws IOException {
        start(Duration.ofMinutes(5));
        try (Socket s = connect(server)) {
            s.getOutputStream().write(new XdrWriter().writeInt(0xffffffff).writeInt(1).writeInt(2).toByteArray());
            assertClosedByServer(s);
        }
        assertEquals(1, closed("record-too-large"));
        assertOtherClientsAreServed();
    }

    @Test
    void fragmentOf100MB_closesTheConnection() throws IOException {
        start(Duration.ofMinutes(5));
        try (Socket s = connect(server)) {
            s.getOutputStream().write(new XdrWriter().writeInt(100_000_000).writeInt(0).toByteArray());
            assertClosedByServer(s);
        }
        assertOtherClientsAreServed();
    }

    @Test
    void fragmentsAddingUpPastTheCap_closeTheConnection_thoughEachIsSmall() throws IOException {
        start(Duration.ofMinutes(5));
        try (Socket s = connect(server)) {
            OutputStream out = s.getOutputStream();
            byte[] fragment = new XdrWriter().writeInt(8192).writeFixedOpaque(new byte[8192]).toByteArray();
            try {
                for (int i = 0; i < MAX_RECORD / 8192 + 1; i++) {
                    out.write(fragment);   // not the last fragment: the record keeps growing
                }
            } catch (SocketException closedWhileWriting) {
                // the server may close before the last fragment is written
            }
            assertClosedByServer(s);
        }
        assertOtherClientsAreServed();
    }

    @Test
    void recordOfExactlyTheCap_isServed() throws IOException {
        start(Duration.ofMinutes(5));
        try (Socket s = connect(server)) {
            // NULL ignores its arguments; pad the call to a record of MAX_RECORD bytes, its 4-byte header included
            byte[] bare = call(5, Nfs4.VERSION, Nfs4.PROC_NULL, new byte[0]);
            byte[] full = call(5, Nfs4.VERSION, Nfs4.PROC_NULL, new byte[MAX_RECORD - bare.length]);
            assertEquals(MAX_RECORD, full.length);
            s.getOutputStream().write(full);
            assertEquals(ACCEPTED, reply(new DataInputStream(s.getInputStream()), 5).getInt());
        }
    }

    @Test
    void idleConnection_isClosedAfterTheTimeout() throws IOException {
        start(Duration.ofMillis(200));
        try (Socket s = connect(server)) {
            assertClosedByServer(s);
        }
        assertEquals(1, closed("idle"));
    }
}

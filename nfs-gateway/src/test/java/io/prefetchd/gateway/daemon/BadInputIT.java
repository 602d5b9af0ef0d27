package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Malformed RPC traffic on a real socket: each bad call gets a clear RPC answer, the connection stays usable, and
 * other clients are served throughout.
 */
class BadInputIT {
    private static final int SUCCESS = 0;
    private static final int PROC_UNAVAIL = 3;
    private static final int GARBAGE_ARGS = 4;
    private static S3ProxyFixture s3;

    @BeforeAll
    static void bucket() {
        s3 = S3ProxyFixture.start();
        s3.createBucket("bad-input");
        s3.put("bad-input", "ok.txt", "still here\n".getBytes());
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static byte[] call(int xid, int proc, byte[] body) {
        XdrWriter w = new XdrWriter();
        w.writeInt(0);   // record marker, patched below
        w.writeInt(xid).writeInt(0).writeInt(2).writeInt(Nfs4.PROGRAM).writeInt(Nfs4.VERSION).writeInt(proc);
        w.writeInt(0).writeInt(0).writeInt(0).writeInt(0);   // AUTH_NONE credential and verifier
        w.writeFixedOpaque(body);
        w.patchInt(0, 0x80000000 | (w.size() - 4));
        return w.toByteArray();
    }

    /** Reads one reply record and returns its accept_stat. */
    private static int acceptStat(DataInputStream in, int xid) throws IOException {
        int marker = in.readInt();
        byte[] rec = new byte[marker & 0x7fffffff];
        in.readFully(rec);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(rec);
        assertEquals(xid, b.getInt(), "xid");
        assertEquals(1, b.getInt(), "REPLY");
        assertEquals(0, b.getInt(), "MSG_ACCEPTED");
        b.getInt();                                            // verifier flavor
        int verifierLength = b.getInt();
        b.position(b.position() + ((verifierLength + 3) & ~3));
        return b.getInt();
    }

    @Test
    void truncatedHugeAndUnknown_getRpcErrors_andServiceContinues(@TempDir Path state) throws Exception {
        try (GatewayFixture gw = new GatewayFixture(s3, "bad-input", state).start();
             Socket sock = new Socket("127.0.0.1", gw.port())) {
            sock.setSoTimeout(10_000);
            OutputStream out = sock.getOutputStream();
            DataInputStream in = new DataInputStream(sock.getInputStream());

            byte[] truncated = new XdrWriter().writeInt(0).writeInt(1).writeInt(3).writeInt(Nfs4.OP_PUTROOTFH)
                    .writeInt(Nfs4.OP_LOOKUP).toByteArray();
            out.write(call(1, Nfs4.PROC_COMPOUND, truncated));
            assertEquals(GARBAGE_ARGS, acceptStat(in, 1));

            byte[] huge = new XdrWriter().writeInt(0x7fffffff).toByteArray();   // a 2 GiB tag
            out.write(call(2, Nfs4.PROC_COMPOUND, huge));
            assertEquals(GARBAGE_ARGS, acceptStat(in, 2));

            byte[] hugeName = new XdrWriter().writeInt(0).writeInt(0).writeInt(2).writeInt(Nfs4.OP_PUTROOTFH)
                    .writeInt(Nfs4.OP_LOOKUP).writeInt(0x7ffffff0).toByteArray();
            out.write(call(3, Nfs4.PROC_COMPOUND, hugeName));
            assertEquals(GARBAGE_ARGS, acceptStat(in, 3));

            out.write(call(4, 7, new byte[0]));
            assertEquals(PROC_UNAVAIL, acceptStat(in, 4));

            byte[] unknownOp = new XdrWriter().writeInt(0).writeInt(0).writeInt(1).writeInt(77).toByteArray();
            out.write(call(5, Nfs4.PROC_COMPOUND, unknownOp));
            assertEquals(SUCCESS, acceptStat(in, 5), "an unknown operation is an NFS error, not an RPC one");

            out.write(call(6, Nfs4.PROC_NULL, new byte[0]));
            assertEquals(SUCCESS, acceptStat(in, 6), "the same connection still works");

            try (Nfs4Client other = Nfs4Client.connect("127.0.0.1", gw.port())) {
                Nfs4Client.OpenFile f = other.open("/ok.txt");
                assertEquals("still here\n", new String(other.readAll(f, 4096)));
            }
        }
    }
}

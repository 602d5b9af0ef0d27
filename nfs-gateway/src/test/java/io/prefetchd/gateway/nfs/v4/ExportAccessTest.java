package io.prefetchd.gateway.nfs.v4;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportTable;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.*;

/** The export table and ownership as the protocol applies them: refusal, squashing, ACCESS, OPEN, LOOKUP. */
class ExportAccessTest {
    private static final byte[] OWNER = "open id:owner1".getBytes(StandardCharsets.UTF_8);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private NfsHarness gateway(FileOwnership ownership, String... exports) {
        NfsHarness nfs = new NfsHarness(null, new AccessControl(ExportTable.parse(List.of(exports)), ownership,
                registry));
        nfs.put("hello.txt", "hello\n").put("dir/a.bin", "aaaa");
        return nfs;
    }

    private static CompoundContext.Caller sys(String address, int uid, int gid, Integer... groups) throws Exception {
        return new CompoundContext.Caller(uid, gid, List.of(groups), "", InetAddress.getByName(address), address + ":900");
    }

    private double refusals() {
        return registry.counter("prefetchd.nfs.refused").count();
    }

    @Test
    void clientInNoRule_getsAccessOnPutrootfhAndPutfh_andEachRefusalIsCounted() throws Exception {
        NfsHarness open = gateway(FileOwnership.DEFAULT, "*");
        open.mount41();
        byte[] root = ok(open.call41(b -> b.putrootfh().getfh())).last().as(byte[].class);

        NfsHarness nfs = gateway(FileOwnership.DEFAULT, "10.0.0.0/8", "fd00::/8 rw");
        nfs.caller = sys("127.0.0.1", 0, 0);
        nfs.mount41(); // a session is no file access: the refusal comes with the first file handle
        CompoundReply r = nfs.call41(b -> b.putrootfh().getfh());
        assertEquals(NfsStatus.NFS4ERR_ACCESS, r.status());
        assertEquals(Nfs4.OP_PUTROOTFH, r.last().opcode());
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putfh(root).getattr(Attr.SIZE)).status());
        assertEquals(2.0, refusals());

        nfs.caller = sys("10.9.8.7", 0, 0);
        ok(nfs.call41(b -> b.putrootfh().getfh()));
        assertEquals(2.0, refusals());
    }

    @Test
    void ownershipAndModes_areWhatGetattrShows() {
        NfsHarness nfs = gateway(new FileOwnership(1000, 100, 0640, 0750), "*");
        nfs.caller = CompoundContext.Caller.ANONYMOUS;
        nfs.mount41();
        CompoundReply root = ok(nfs.call41(b -> b.putrootfh().getattr(Attr.MODE, Attr.OWNER, Attr.OWNER_GROUP)));
        CompoundReply.Fattr a = root.last().as(CompoundReply.Fattr.class);
        assertEquals(0750, a.values().get(Attr.MODE));
        assertEquals("1000", a.values().get(Attr.OWNER));
        assertEquals("100", a.values().get(Attr.OWNER_GROUP));
    }

    @Test
    void rootSquash_rootIsOther_ownerReads_accessAndOpenAgree() throws Exception {
        NfsHarness nfs = gateway(new FileOwnership(1000, 100, 0640, 0755), "127.0.0.0/8 ro root-squash");
        nfs.caller = sys("127.0.0.1", 1000, 1000);
        nfs.mount41();
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        assertEquals(Nfs4.ACCESS4_READ, access(nfs, hello));
        ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt")));

        nfs.caller = sys("127.0.0.1", 0, 0); // squashed to 65534: neither owner nor group
        assertEquals(0, access(nfs, hello));
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh()
                .open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt")).status());

        nfs.caller = sys("127.0.0.1", 2000, 2000, 100); // a supplementary group member
        assertEquals(Nfs4.ACCESS4_READ, access(nfs, hello));
    }

    @Test
    void noSquash_rootReadsWhatOthersMayNot() throws Exception {
        NfsHarness nfs = gateway(new FileOwnership(1000, 100, 0600, 0700), "* no-squash");
        nfs.caller = sys("192.0.2.1", 0, 0);
        nfs.mount41();
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        assertEquals(Nfs4.ACCESS4_READ, access(nfs, hello));
        nfs.caller = sys("192.0.2.1", 2000, 2000);
        assertEquals(0, access(nfs, hello));
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().lookup("hello.txt")).status(),
                "LOOKUP in a directory without x");
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().readdir(0, 0, 4096, 4096)).status(),
                "READDIR of a directory without r");
    }

    @Test
    void allSquash_everyoneIsTheAnonymousUser() throws Exception {
        NfsHarness nfs = gateway(new FileOwnership(4242, 4242, 0400, 0500), "* all-squash anon-uid=4242 anon-gid=1");
        nfs.caller = sys("192.0.2.1", 1000, 1000);
        nfs.mount41();
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        assertEquals(Nfs4.ACCESS4_READ, access(nfs, hello));
    }

    @Test
    void readWriteRule_onAReadOnlyFileSystem_neverGrantsWriteBits() throws Exception {
        NfsHarness nfs = gateway(new FileOwnership(0, 0, 0666, 0777), "* rw no-squash");
        nfs.caller = sys("192.0.2.1", 0, 0);
        nfs.mount41();
        CompoundReply dir = ok(nfs.call41(b -> b.putrootfh().access(0x3f)));
        assertEquals(Nfs4.ACCESS4_READ | Nfs4.ACCESS4_LOOKUP, dir.last().as(CompoundReply.Access.class).access());
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        assertEquals(Nfs4.ACCESS4_READ, access(nfs, hello));
    }

    private static int access(NfsHarness nfs, byte[] fh) {
        return ok(nfs.call41(b -> b.putfh(fh).access(0x3f))).last().as(CompoundReply.Access.class).access();
    }
}

package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.*;

/** File-system operations through COMPOUNDs: lookup, attributes, directories, open/read/close, errors. */
class OperationsTest {
    private final NfsHarness nfs = new NfsHarness();
    private static final byte[] OWNER = "open id:owner1".getBytes(StandardCharsets.UTF_8);

    @BeforeEach
    void bucket() {
        nfs.put("hello.txt", "hello\n").put("dir/a.bin", "aaaa").put("dir/sub/b.bin", "bbbbbb")
                .put("empty-folder/", "");
        nfs.mount41();
    }

    private byte[] fh(String... path) {
        return ok(nfs.call41(b -> {
            b.putrootfh();
            for (String p : path) {
                b.lookup(p);
            }
            return b.getfh();
        })).last().as(byte[].class);
    }

    @Test
    void lookupAndGetattr_giveTypeSizeAndStableFileId() {
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().lookup("dir").lookup("a.bin")
                .getattr(Attr.TYPE, Attr.SIZE, Attr.FILEID, Attr.MODE, Attr.OWNER, Attr.NUMLINKS)));
        CompoundReply.Fattr a = r.last().as(CompoundReply.Fattr.class);
        assertEquals(Nfs4.NF4REG, a.type());
        assertEquals(4, a.size());
        assertEquals(0444, a.values().get(Attr.MODE));
        assertEquals("0", a.values().get(Attr.OWNER));
        long id = a.fileId();
        byte[] file = fh("dir", "a.bin");
        CompoundReply again = ok(nfs.call41(b -> b.putfh(file).getattr(Attr.FILEID)));
        assertEquals(id, again.last().as(CompoundReply.Fattr.class).fileId());
    }

    @Test
    void getattr_omitsUnsupportedAttributes_andListsTheSupportedOnes() {
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().getattr(Attr.SUPPORTED_ATTRS, 12, Attr.TYPE)));
        CompoundReply.Fattr a = r.last().as(CompoundReply.Fattr.class);
        assertFalse(a.values().containsKey(12), "acl (12) is not supported and must be left out");
        int[] supported = (int[]) a.values().get(Attr.SUPPORTED_ATTRS);
        for (int attr : new int[] {1, 3, 4, 8, 20, 33, 35, 36, 37, 41, 45, 47, 52, 53, 55, 11, 19, 75}) {
            assertTrue((supported[attr / 32] & (1 << (attr % 32))) != 0, "attribute " + attr + " supported");
        }
    }

    @Test
    void lookupOfMissingName_isNoent_andOfAFileComponent_isNotdir() {
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putrootfh().lookup("nope")).status());
        assertEquals(NfsStatus.NFS4ERR_NOTDIR,
                nfs.call41(b -> b.putrootfh().lookup("hello.txt").lookup("x")).status());
        assertEquals(NfsStatus.NFS4ERR_BADNAME, nfs.call41(b -> b.putrootfh().lookup("..")).status());
    }

    @Test
    void failingOperation_stopsTheCompound_andItsStatusIsTheCompounds() {
        CompoundReply r = nfs.call41(b -> b.putrootfh().lookup("nope").getfh());
        assertEquals(NfsStatus.NFS4ERR_NOENT, r.status());
        assertEquals(3, r.results().size(), "SEQUENCE, PUTROOTFH, LOOKUP; GETFH never ran");
    }

    @Test
    void lookupp_walksUp_andTheRootHasNoParent() {
        byte[] sub = fh("dir", "sub");
        byte[] dir = fh("dir");
        CompoundReply r = ok(nfs.call41(b -> b.putfh(sub).lookupp().getfh()));
        assertArrayEquals(dir, r.last().as(byte[].class));
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putrootfh().lookupp()).status());
    }

    @Test
    void savefhRestorefh_swapTheCurrentHandle() {
        byte[] root = fh();
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().savefh().lookup("dir").restorefh().getfh()));
        assertArrayEquals(root, r.last().as(byte[].class));
        assertEquals(NfsStatus.NFS4ERR_RESTOREFH, nfs.call41(b -> b.putrootfh().restorefh()).status());
    }

    @Test
    void noCurrentHandle_isNofilehandle() {
        assertEquals(NfsStatus.NFS4ERR_NOFILEHANDLE, nfs.call41(b -> b.getattr(Attr.TYPE)).status());
    }

    @Test
    void readdir_listsFilesAndFolders_withoutDotEntries_andFolderMarkersMakeEmptyDirs() {
        byte[] hello = fh("hello.txt");
        byte[] emptyFolder = fh("empty-folder");
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().readdir(0, 0, 8192, 32768, Attr.TYPE, Attr.FILEHANDLE,
                Attr.RDATTR_ERROR)));
        CompoundReply.Readdir d = r.last().as(CompoundReply.Readdir.class);
        assertTrue(d.eof());
        List<String> names = d.entries().stream().map(CompoundReply.DirEntry::name).toList();
        assertEquals(List.of("dir", "empty-folder", "hello.txt"), names);
        assertEquals(Nfs4.NF4DIR, d.entries().get(0).attrs().type());
        assertEquals(0, d.entries().get(0).attrs().values().get(Attr.RDATTR_ERROR));
        assertArrayEquals(hello, (byte[]) d.entries().get(2).attrs().values().get(Attr.FILEHANDLE));
        CompoundReply empty = ok(nfs.call41(b -> b.putfh(emptyFolder).readdir(0, 0, 8192, 8192, Attr.TYPE)));
        assertTrue(empty.last().as(CompoundReply.Readdir.class).entries().isEmpty());
    }

    @Test
    void readdir_pagesThroughADirectoryOf100000Entries_withResumableCookies() {
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            nfs.store.put(String.format("big/f%05d", i), new byte[] {1});
        }
        byte[] dir = fh("big");
        List<String> seen = new ArrayList<>();
        long cookie = 0;
        long verifier = 0;
        int calls = 0;
        while (true) {
            long c = cookie;
            long v = verifier;
            CompoundReply.Readdir d = ok(nfs.send(nfs.next41(false).putfh(dir).readdir(c, v, 65536, 262144,
                    Attr.TYPE, Attr.SIZE))).last().as(CompoundReply.Readdir.class);
            calls++;
            d.entries().forEach(e -> seen.add(e.name()));
            if (d.eof()) {
                break;
            }
            cookie = d.entries().get(d.entries().size() - 1).cookie();
            verifier = d.verifier();
        }
        assertTrue(calls > 10, "paged in " + calls + " calls");
        assertEquals(n, seen.size());
        for (int i = 0; i < n; i++) {
            assertEquals(String.format("f%05d", i), seen.get(i));
        }
    }

    @Test
    void readdir_tooSmallForOneEntry_isToosmall_andReservedCookiesAreBad() {
        byte[] root = fh();
        assertEquals(NfsStatus.NFS4ERR_TOOSMALL, nfs.call41(b -> b.putfh(root).readdir(0, 0, 10, 20, Attr.TYPE)).status());
        assertEquals(NfsStatus.NFS4ERR_BAD_COOKIE, nfs.call41(b -> b.putfh(root).readdir(1, 0, 10, 8192)).status());
    }

    @Test
    void openReadClose_byName_returnsExactBytesAndEof() {
        CompoundReply o = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                0, "hello.txt").getfh()));
        StateId sid = o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId();
        byte[] file = o.op(Nfs4.OP_GETFH).as(byte[].class);
        CompoundReply.Read r = ok(nfs.call41(b -> b.putfh(file).read(sid, 0, 4096))).last()
                .as(CompoundReply.Read.class);
        assertEquals("hello\n", new String(r.data(), StandardCharsets.UTF_8));
        assertTrue(r.eof());
        CompoundReply.Read mid = ok(nfs.call41(b -> b.putfh(file).read(sid.withSeqid(0), 2, 2))).last()
                .as(CompoundReply.Read.class);
        assertEquals("ll", new String(mid.data(), StandardCharsets.UTF_8));
        assertFalse(mid.eof());
        CompoundReply.Read past = ok(nfs.call41(b -> b.putfh(file).read(sid, 100, 10))).last()
                .as(CompoundReply.Read.class);
        assertEquals(0, past.data().length);
        assertTrue(past.eof());
        CompoundReply c = ok(nfs.call41(b -> b.putfh(file).close(0, sid)));
        assertEquals(StateId.INVALID, c.last().as(StateId.class));
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID, nfs.call41(b -> b.putfh(file).read(sid, 0, 1)).status());
    }

    @Test
    void openByHandle_andReadWithTheCurrentStateid() {
        byte[] file = fh("dir", "a.bin");
        CompoundReply r = ok(nfs.call41(b -> b.putfh(file).open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                0, null).read(new StateId(1, new byte[12]), 0, 100)));
        assertEquals("aaaa", new String(r.last().as(CompoundReply.Read.class).data(), StandardCharsets.UTF_8));
    }

    @Test
    void open_pinsTheVersion_aReplacedObjectIsStaleNotMixed() {
        byte[] big = new byte[300_000];
        new Random(1).nextBytes(big);
        nfs.store.put("data.bin", big);
        CompoundReply o = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                0, "data.bin").getfh()));
        StateId sid = o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId();
        byte[] file = o.op(Nfs4.OP_GETFH).as(byte[].class);
        ok(nfs.call41(b -> b.putfh(file).read(sid, 0, 1000)));
        nfs.store.put("data.bin", new byte[300_000]);
        CompoundReply after = nfs.call41(b -> b.putfh(file).read(sid, 100_000, 1000));
        assertEquals(NfsStatus.NFS4ERR_STALE, after.status());
    }

    @Test
    void deletedObject_isStale_forAHandleTheClientKept() {
        byte[] file = fh("hello.txt");
        nfs.store.delete("hello.txt");
        // past twice the attribute TTL the gateway asks S3 again before answering (the SEQUENCE renews the lease)
        nfs.clock.advance(java.time.Duration.ofSeconds(31));
        nfs.call41(b -> b.putrootfh());
        nfs.clock.advance(java.time.Duration.ofSeconds(31));
        assertEquals(NfsStatus.NFS4ERR_STALE, nfs.call41(b -> b.putfh(file).getattr(Attr.SIZE)).status());
    }

    @Test
    void garbageHandle_isBadhandle() {
        assertEquals(NfsStatus.NFS4ERR_BADHANDLE, nfs.call41(b -> b.putfh(new byte[] {1, 2, 3, 4})).status());
    }

    @Test
    void longPaths_getHashedHandles_thatSurviveARestart(@TempDir Path stateDir) {
        String name = "n".repeat(200);
        NfsHarness first = new NfsHarness(stateDir);
        first.store.put("deep/" + name, new byte[] {7});
        first.mount41();
        byte[] handle = ok(first.call41(b -> b.putrootfh().lookup("deep").lookup(name).getfh())).last()
                .as(byte[].class);
        assertTrue(handle.length <= Nfs4.FHSIZE);
        NfsHarness restarted = new NfsHarness(stateDir);
        restarted.store.put("deep/" + name, new byte[] {7});
        restarted.mount41();
        CompoundReply r = ok(restarted.call41(b -> b.putfh(handle).getattr(Attr.SIZE)));
        assertEquals(1, r.last().as(CompoundReply.Fattr.class).size());
    }

    @Test
    void writesAndCreates_areReadOnlyFilesystem() {
        byte[] file = fh("hello.txt");
        CompoundReply w = nfs.call41(b -> b.putfh(file).raw(Nfs4.OP_WRITE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        assertEquals(NfsStatus.NFS4ERR_ROFS, w.status());
        assertEquals(NfsStatus.NFS4ERR_ROFS,
                nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER, "new")).status());
        assertEquals(NfsStatus.NFS4ERR_ROFS, nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER,
                Nfs4.OPEN4_SHARE_ACCESS_BOTH, 0, "hello.txt")).status());
    }

    @Test
    void unknownOpcode_isOpIllegal_afterTheEarlierResults() {
        CompoundReply r = nfs.call41(b -> b.putrootfh().raw(9999).getfh());
        assertEquals(NfsStatus.NFS4ERR_OP_ILLEGAL, r.status());
        assertEquals(3, r.results().size());
        assertEquals(Nfs4.OP_ILLEGAL, r.last().opcode());
    }

    @Test
    void delegations_areNotSupported() {
        assertEquals(NfsStatus.NFS4ERR_NOTSUPP, nfs.call41(b -> b.putrootfh().raw(Nfs4.OP_DELEGRETURN)).status());
        assertEquals(NfsStatus.NFS4ERR_NOTSUPP, nfs.call41(b -> b.raw(Nfs4.OP_RENEW, 0, 0)).status(),
                "RENEW is a 4.0 operation");
    }

    @Test
    void access_grantsReadAndLookupOnly() {
        CompoundReply dir = ok(nfs.call41(b -> b.putrootfh().access(0x3f)));
        assertEquals(Nfs4.ACCESS4_READ | Nfs4.ACCESS4_LOOKUP, dir.last().as(CompoundReply.Access.class).access());
        byte[] hello = fh("hello.txt");
        CompoundReply file = ok(nfs.call41(b -> b.putfh(hello).access(0x3f)));
        assertEquals(Nfs4.ACCESS4_READ, file.last().as(CompoundReply.Access.class).access());
        assertEquals(0x2d, file.last().as(CompoundReply.Access.class).supported());
    }

    @Test
    void verifyAndNverify_compareEncodedAttributes() {
        byte[] file = fh("hello.txt");
        int[] mask = CompoundBuilder.bitmap(Attr.SIZE);
        byte[] six = new byte[] {0, 0, 0, 0, 0, 0, 0, 6};
        byte[] seven = new byte[] {0, 0, 0, 0, 0, 0, 0, 7};
        ok(nfs.call41(b -> b.putfh(file).verify(false, mask, six)));
        assertEquals(NfsStatus.NFS4ERR_NOT_SAME, nfs.call41(b -> b.putfh(file).verify(false, mask, seven)).status());
        ok(nfs.call41(b -> b.putfh(file).verify(true, mask, seven)));
        assertEquals(NfsStatus.NFS4ERR_SAME, nfs.call41(b -> b.putfh(file).verify(true, mask, six)).status());
        assertEquals(NfsStatus.NFS4ERR_ATTRNOTSUPP,
                nfs.call41(b -> b.putfh(file).verify(false, CompoundBuilder.bitmap(12), new byte[0])).status());
    }

    @Test
    void readlink_onAFile_isInval() {
        byte[] hello = fh("hello.txt");
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(hello).readlink()).status());
    }

    @Test
    void secinfo_ofAName() {
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().secinfo("hello.txt")));
        assertArrayEquals(new int[] {Nfs4.AUTH_SYS}, r.last().as(int[].class));
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putrootfh().secinfo("nope")).status());
    }

    @Test
    void openPrevious_isNoGrace() {
        byte[] hello = fh("hello.txt");
        assertEquals(NfsStatus.NFS4ERR_NO_GRACE,
                nfs.call41(b -> b.putfh(hello).openPrevious(0, nfs.clientId, OWNER)).status());
    }

    @Test
    void testStateidAndFreeStateid() {
        CompoundReply o = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                0, "hello.txt")));
        StateId sid = o.last().as(CompoundReply.Open.class).stateId();
        StateId bogus = new StateId(1, new byte[] {9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 1});
        int[] codes = ok(nfs.call41(b -> b.testStateid(sid, bogus))).last().as(int[].class);
        assertEquals(NfsStatus.NFS4_OK.code(), codes[0]);
        assertEquals(NfsStatus.NFS4ERR_STALE_STATEID.code(), codes[1]);
        assertEquals(NfsStatus.NFS4ERR_LOCKS_HELD, nfs.call41(b -> b.freeStateid(sid)).status());
    }

    @Test
    void openDowngrade_mustReduce() {
        CompoundReply o = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                Nfs4.OPEN4_SHARE_DENY_WRITE, "hello.txt").getfh()));
        StateId sid = o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId();
        byte[] file = o.op(Nfs4.OP_GETFH).as(byte[].class);
        CompoundReply d = ok(nfs.call41(b -> b.putfh(file).openDowngrade(sid, 0, Nfs4.OPEN4_SHARE_ACCESS_READ, 0)));
        StateId downgraded = d.last().as(StateId.class);
        assertEquals(sid.seqid() + 1, downgraded.seqid());
        assertEquals(NfsStatus.NFS4ERR_OLD_STATEID, nfs.call41(b -> b.putfh(file).openDowngrade(sid, 0,
                Nfs4.OPEN4_SHARE_ACCESS_READ, 0)).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(file).openDowngrade(downgraded, 0,
                Nfs4.OPEN4_SHARE_ACCESS_READ, Nfs4.OPEN4_SHARE_DENY_BOTH)).status());
    }

    @Test
    void shareDenyRead_byOneOwner_blocksAnotherOwnersRead() {
        ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                Nfs4.OPEN4_SHARE_DENY_READ, "hello.txt")));
        assertEquals(NfsStatus.NFS4ERR_SHARE_DENIED, nfs.call41(b -> b.putrootfh().open(0, nfs.clientId,
                "other".getBytes(), Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "hello.txt")).status());
    }

    @Test
    void readdirEntryOfAnUnlistedSubdirectory_leavesChangeOut_ratherThanInventIt() {
        CompoundReply.Readdir d = ok(nfs.call41(b -> b.putrootfh().readdir(0, 0, 8192, 32768, Attr.TYPE,
                Attr.CHANGE))).last().as(CompoundReply.Readdir.class);
        CompoundReply.DirEntry dir = d.entries().get(0);
        assertEquals("dir", dir.name());
        assertFalse(dir.attrs().values().containsKey(Attr.CHANGE));
        assertTrue(d.entries().get(2).attrs().values().containsKey(Attr.CHANGE), "files carry it");
        long change = ok(nfs.call41(b -> b.putrootfh().lookup("dir").getattr(Attr.CHANGE))).last()
                .as(CompoundReply.Fattr.class).change();
        assertNotEquals(0, change);
    }

    @Test
    void lookupOfAMissingName_isAnsweredFromCacheUntilTwiceTheTtl() {
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putfh(dirFh()).lookup("later")).status());
        nfs.store.put("dir/later/x", new byte[1]);
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putfh(dirFh()).lookup("later")).status(),
                "still the cached answer");
        nfs.clock.advance(java.time.Duration.ofSeconds(31));
        nfs.call41(b -> b.putrootfh());
        nfs.clock.advance(java.time.Duration.ofSeconds(31));
        ok(nfs.call41(b -> b.putfh(dirFh()).lookup("later")));
    }

    private byte[] dirFh() {
        return handle("dir");
    }

    private byte[] handle(String name) {
        return nfs.handles.encode(new io.prefetchd.gateway.fs.Inode(io.prefetchd.gateway.fs.FileType.DIRECTORY, name));
    }
}

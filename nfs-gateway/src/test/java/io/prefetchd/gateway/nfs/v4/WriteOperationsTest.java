package io.prefetchd.gateway.nfs.v4;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportTable;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundBuilder.Sattr;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.MemoryFileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The NFSv4.1 write operations through COMPOUNDs over an in-memory writable file system: OPEN with create, WRITE,
 * COMMIT, CLOSE telling the file system, SETATTR, CREATE, REMOVE, RENAME, and each one's error codes.
 */
class WriteOperationsTest {
    static final long VERIFIER = 0x1234_5678_9abc_def0L;
    private static final byte[] OWNER = "open id:writer".getBytes(StandardCharsets.UTF_8);
    private final MemoryFileSystem fs = new MemoryFileSystem(new ManualClock(), VERIFIER);
    private final NfsHarness nfs = harness(fs, "* rw no-squash");

    /** A gateway over {@code fs} with files 0644 and directories 0777 owned by root unless they say otherwise. */
    static NfsHarness harness(MemoryFileSystem fs, String... exports) {
        return new NfsHarness(null, new AccessControl(ExportTable.parse(List.of(exports)),
                new FileOwnership(0, 0, 0644, 0777), new SimpleMeterRegistry()), fs);
    }

    static CompoundContext.Caller user(int uid, int gid, Integer... groups) {
        return new CompoundContext.Caller(uid, gid, List.of(groups), "client", InetAddress.getLoopbackAddress(),
                "127.0.0.1:900");
    }

    @BeforeEach
    void mount() {
        fs.put("hello.txt", "hello\n").put("dir/a.bin", "aaaa");
        nfs.caller = user(1000, 100);
        nfs.mount41();
    }

    private CompoundReply create(String name, int mode, Sattr attrs) {
        return nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER, OPEN4_SHARE_ACCESS_BOTH, mode, attrs,
                0, name).getfh());
    }

    /** OPEN for read and write by name in the root, with the stateid and the handle. */
    private record Opened(StateId stateId, byte[] fh, CompoundReply.Open open) {}

    private Opened opened(CompoundReply r) {
        ok(r);
        CompoundReply.Open o = r.op(OP_OPEN).as(CompoundReply.Open.class);
        return new Opened(o.stateId(), r.op(OP_GETFH).as(byte[].class), o);
    }

    private Opened openExisting(String name, int access) {
        return opened(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, access, 0, name).getfh()));
    }

    private CompoundReply.Fattr attrs(byte[] fh, int... attrs) {
        return ok(nfs.call41(b -> b.putfh(fh).getattr(attrs))).last().as(CompoundReply.Fattr.class);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ OPEN with create

    @Test
    void openCreateUnchecked_makesAFileOwnedByTheCaller_withTheModeAsked_andSaysSo() {
        Opened f = opened(create("new.bin", UNCHECKED4, new Sattr().mode(0640)));
        CompoundReply.Fattr a = attrs(f.fh(), Attr.TYPE, Attr.SIZE, Attr.MODE, Attr.OWNER, Attr.OWNER_GROUP);
        assertEquals(NF4REG, a.type());
        assertEquals(0, a.size());
        assertEquals(0640, a.values().get(Attr.MODE));
        assertEquals("1000", a.values().get(Attr.OWNER));
        assertEquals("100", a.values().get(Attr.OWNER_GROUP));
        assertArrayEquals(CompoundBuilder.bitmap(Attr.MODE), f.open().attrset());
        assertNotEquals(f.open().cinfo().before(), f.open().cinfo().after(), "the directory's change moved");
        assertTrue(fs.exists("new.bin"));
    }

    @Test
    void openCreateGuarded_ofAnExistingName_isExist() {
        assertEquals(NfsStatus.NFS4ERR_EXIST, create("hello.txt", GUARDED4, new Sattr()).status());
        ok(create("fresh", GUARDED4, new Sattr()));
    }

    @Test
    void openCreateUnchecked_ofAnExistingFile_withSizeZero_truncatesIt_andAppliesNothingElse() {
        assertEquals(NfsStatus.NFS4ERR_ACCESS, create("hello.txt", UNCHECKED4, new Sattr().size(0)).status(),
                "uid 1000 may not truncate a 0644 root file");
        nfs.caller = user(0, 0);
        Opened f = opened(create("hello.txt", UNCHECKED4, new Sattr().size(0).mode(0600)));
        assertEquals(0, fs.content("hello.txt").length);
        assertArrayEquals(CompoundBuilder.bitmap(Attr.SIZE), f.open().attrset());
        assertEquals(0644, attrs(f.fh(), Attr.MODE).values().get(Attr.MODE), "an existing file keeps its mode");
    }

    @Test
    void openCreateExclusive41_retransmittedWithTheSameVerifier_opensTheFile_anotherVerifierIsExist() {
        CompoundReply first = nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER,
                OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4_1, new Sattr().mode(0600), 77, "ckpt.pt"));
        ok(first);
        assertArrayEquals(CompoundBuilder.bitmap(Attr.MODE),
                first.last().as(CompoundReply.Open.class).attrset());
        ok(nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER, OPEN4_SHARE_ACCESS_WRITE,
                EXCLUSIVE4_1, new Sattr().mode(0600), 77, "ckpt.pt")));
        assertEquals(NfsStatus.NFS4ERR_EXIST, nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER,
                OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4_1, new Sattr(), 78, "ckpt.pt")).status());
        ok(nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER, OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4,
                null, 5, "old-style")));
    }

    @Test
    void openCreateExclusive41_withTimes_isInval_sinceSuppattrExclcreatLeavesThemOut() {
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putrootfh().openCreate(0, nfs.clientId, OWNER,
                OPEN4_SHARE_ACCESS_WRITE, EXCLUSIVE4_1, new Sattr().mtime(null), 1, "x")).status());
        int[] excl = (int[]) attrs(ok(nfs.call41(b -> b.putrootfh().getfh())).last().as(byte[].class),
                Attr.SUPPATTR_EXCLCREAT).values().get(Attr.SUPPATTR_EXCLCREAT);
        assertArrayEquals(CompoundBuilder.bitmap(Attr.SIZE, Attr.MODE, Attr.OWNER, Attr.OWNER_GROUP), excl);
    }

    @Test
    void openCreate_ofADirectoryName_isIsdir_andCreateAttrsThatCannotBeSetAreInval() {
        assertEquals(NfsStatus.NFS4ERR_ISDIR, create("dir", UNCHECKED4, new Sattr()).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, create("t", UNCHECKED4, new Sattr().raw(Attr.TYPE, NF4REG)).status());
        assertEquals(NfsStatus.NFS4ERR_ATTRNOTSUPP, create("t", UNCHECKED4, new Sattr().raw(12, 0)).status());
    }

    @Test
    void openCreateByHandle_isInval() {
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        CompoundReply r = nfs.send(nfs.next41(true).putfh(hello).raw(OP_OPEN, 0, OPEN4_SHARE_ACCESS_BOTH, 0,
                0, 0, 0, OPEN4_CREATE, UNCHECKED4, 0, 0, CLAIM_FH));
        assertEquals(NfsStatus.NFS4ERR_INVAL, r.status());
    }

    // ------------------------------------------------------------------ WRITE, COMMIT, READ back

    @Test
    void writeUnstable_thenCommit_answerTheFileSystemsVerifier_andTheWriterReadsWhatItWrote() {
        Opened f = opened(create("out.bin", UNCHECKED4, new Sattr()));
        CompoundReply.Write w = ok(nfs.call41(b -> b.putfh(f.fh()).write(f.stateId(), 0, UNSTABLE4,
                "0123456789".getBytes()))).last().as(CompoundReply.Write.class);
        assertEquals(10, w.count());
        assertEquals(UNSTABLE4, w.committed());
        assertEquals(VERIFIER, w.verifier());
        ok(nfs.call41(b -> b.putfh(f.fh()).write(f.stateId(), 10, UNSTABLE4, "abc".getBytes())));
        assertEquals(VERIFIER, ok(nfs.call41(b -> b.putfh(f.fh()).commit(0, 0))).last().as(Long.class));
        assertEquals(List.of("out.bin"), fs.commits);
        CompoundReply.Read r = ok(nfs.call41(b -> b.putfh(f.fh()).read(f.stateId(), 0, 100))).last()
                .as(CompoundReply.Read.class);
        assertEquals("0123456789abc", text(r.data()));
        assertTrue(r.eof());
    }

    @Test
    void writeFileSync_andDataSync_answerFileSync() {
        Opened f = opened(create("out.bin", UNCHECKED4, new Sattr()));
        for (int stable : new int[] {DATA_SYNC4, FILE_SYNC4}) {
            CompoundReply.Write w = ok(nfs.call41(b -> b.putfh(f.fh()).write(f.stateId(), 0, stable,
                    "x".getBytes()))).last().as(CompoundReply.Write.class);
            assertEquals(FILE_SYNC4, w.committed());
        }
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(f.fh()).write(f.stateId(), 0, 3,
                "x".getBytes())).status());
    }

    @Test
    void writeUnderAReadOnlyOpen_isOpenmode_andUnderNoOpen_isBadStateid() {
        Opened f = openExisting("hello.txt", OPEN4_SHARE_ACCESS_READ);
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, nfs.call41(b -> b.putfh(f.fh()).write(f.stateId(), 0, UNSTABLE4,
                "x".getBytes())).status());
        StateId bogus = new StateId(1, f.stateId().other().clone());
        bogus.other()[11] ^= 1;
        assertEquals(NfsStatus.NFS4ERR_BAD_STATEID, nfs.call41(b -> b.putfh(f.fh()).write(bogus, 0, UNSTABLE4,
                "x".getBytes())).status());
        assertEquals("hello\n", text(fs.content("hello.txt")));
    }

    @Test
    void writeWithTheAnonymousStateid_needsWritePermission_andNoDenyWriteOpen() {
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putfh(hello).write(StateId.ANONYMOUS, 0,
                FILE_SYNC4, "x".getBytes())).status(), "0644 root-owned: uid 1000 may not write");
        nfs.caller = user(0, 0);
        ok(nfs.call41(b -> b.putfh(hello).write(StateId.ANONYMOUS, 0, FILE_SYNC4, "J".getBytes())));
        assertEquals("Jello\n", text(fs.content("hello.txt")));
        ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, "other".getBytes(), OPEN4_SHARE_ACCESS_READ,
                OPEN4_SHARE_DENY_WRITE, "hello.txt")));
        assertEquals(NfsStatus.NFS4ERR_LOCKED, nfs.call41(b -> b.putfh(hello).write(StateId.ANONYMOUS, 0,
                FILE_SYNC4, "x".getBytes())).status());
    }

    @Test
    void writeToADirectory_isIsdir_andAFullStagingAreaIsNospc() {
        byte[] dir = ok(nfs.call41(b -> b.putrootfh().lookup("dir").getfh())).last().as(byte[].class);
        assertEquals(NfsStatus.NFS4ERR_ISDIR, nfs.call41(b -> b.putfh(dir).write(StateId.ANONYMOUS, 0, UNSTABLE4,
                "x".getBytes())).status());
        Opened f = opened(create("out.bin", UNCHECKED4, new Sattr()));
        fs.failWrites = FsError.NOSPC;
        assertEquals(NfsStatus.NFS4ERR_NOSPC, nfs.call41(b -> b.putfh(f.fh()).write(f.stateId(), 0, UNSTABLE4,
                "x".getBytes())).status());
        fs.failWrites = FsError.DQUOT;
        assertEquals(NfsStatus.NFS4ERR_DQUOT, create("more", UNCHECKED4, new Sattr()).status());
    }

    // ------------------------------------------------------------------ CLOSE and the file system's closed()

    @Test
    void closingTheLastWriteOpen_tellsTheFileSystemOnce_aReadOpenNever() {
        Opened w = opened(create("out.bin", UNCHECKED4, new Sattr()));
        CompoundReply other = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, "second".getBytes(),
                OPEN4_SHARE_ACCESS_WRITE, 0, "out.bin")));
        StateId second = other.last().as(CompoundReply.Open.class).stateId();
        Opened r = openExisting("hello.txt", OPEN4_SHARE_ACCESS_READ);
        ok(nfs.call41(b -> b.putfh(r.fh()).close(0, r.stateId())));
        ok(nfs.call41(b -> b.putfh(w.fh()).close(0, w.stateId())));
        assertEquals(List.of(), fs.closed, "another open still writes out.bin");
        ok(nfs.call41(b -> b.putfh(w.fh()).close(0, second)));
        assertEquals(List.of("out.bin"), fs.closed);
    }

    @Test
    void openDowngradeDroppingWrite_tellsTheFileSystem() {
        Opened w = opened(create("out.bin", UNCHECKED4, new Sattr()));
        ok(nfs.call41(b -> b.putfh(w.fh()).openDowngrade(w.stateId(), 0, OPEN4_SHARE_ACCESS_READ, 0)));
        assertEquals(List.of("out.bin"), fs.closed);
    }

    @Test
    void aWritersExpiredLease_tellsTheFileSystem() {
        opened(create("out.bin", UNCHECKED4, new Sattr()));
        nfs.clock.advance(NfsHarness.LEASE.plus(Duration.ofSeconds(1)));
        assertEquals(1, nfs.state.expireClients());
        nfs.services.releaseClosedWriters();
        assertEquals(List.of("out.bin"), fs.closed);
    }

    @Test
    void aClientDestroyedWhileWriting_tellsTheFileSystem() {
        opened(create("out.bin", UNCHECKED4, new Sattr()));
        ok(nfs.send(new CompoundBuilder(1).destroySession(nfs.sessionId)));
        ok(nfs.send(new CompoundBuilder(1).destroyClientId(nfs.clientId)));
        assertEquals(List.of("out.bin"), fs.closed);
    }

    // ------------------------------------------------------------------ SETATTR

    @Test
    void setattrSize_truncatesAndExtends_underAWriteOpen() {
        nfs.caller = user(0, 0);
        Opened f = openExisting("hello.txt", OPEN4_SHARE_ACCESS_BOTH);
        CompoundReply r = ok(nfs.call41(b -> b.putfh(f.fh()).setattr(f.stateId(), new Sattr().size(2))));
        assertArrayEquals(CompoundBuilder.bitmap(Attr.SIZE), r.last().as(int[].class));
        assertEquals("he", text(fs.content("hello.txt")));
        ok(nfs.call41(b -> b.putfh(f.fh()).setattr(f.stateId(), new Sattr().size(4))));
        assertArrayEquals(new byte[] {'h', 'e', 0, 0}, fs.content("hello.txt"));
    }

    @Test
    void setattrSize_underAReadOpen_isOpenmode_onADirectoryIsdir_andAttrssetIsEmptyOnFailure() {
        nfs.caller = user(0, 0);
        Opened f = openExisting("hello.txt", OPEN4_SHARE_ACCESS_READ);
        CompoundReply r = nfs.call41(b -> b.putfh(f.fh()).setattr(f.stateId(), new Sattr().size(0)));
        assertEquals(NfsStatus.NFS4ERR_OPENMODE, r.status());
        assertArrayEquals(new int[0], r.last().as(int[].class));
        assertEquals(NfsStatus.NFS4ERR_ISDIR, nfs.call41(b -> b.putrootfh().lookup("dir")
                .setattr(StateId.ANONYMOUS, new Sattr().size(0))).status());
        ok(nfs.call41(b -> b.putfh(f.fh()).setattr(StateId.ANONYMOUS, new Sattr().size(1))));
    }

    @Test
    void setattrModeOwnerGroupAndTimes_areShownByGetattr_serverTimeFromTheClock() {
        Opened f = opened(create("mine.bin", UNCHECKED4, new Sattr()));
        Instant when = Instant.parse("2025-06-01T12:00:00.5Z");
        ok(nfs.call41(b -> b.putfh(f.fh()).setattr(StateId.ANONYMOUS, new Sattr().mode(0600).mtime(when))));
        CompoundReply.Fattr a = attrs(f.fh(), Attr.MODE, Attr.TIME_MODIFY);
        assertEquals(0600, a.values().get(Attr.MODE));
        assertEquals(when, a.mtime());
        ok(nfs.call41(b -> b.putfh(f.fh()).setattr(StateId.ANONYMOUS, new Sattr().mtime(null))));
        assertEquals(nfs.clock.instant(), attrs(f.fh(), Attr.TIME_MODIFY).mtime());
        nfs.caller = user(0, 0);
        CompoundReply r = ok(nfs.call41(b -> b.putfh(f.fh()).setattr(StateId.ANONYMOUS,
                new Sattr().owner("2000").group("300@example.org"))));
        assertArrayEquals(CompoundBuilder.bitmap(Attr.OWNER, Attr.OWNER_GROUP), r.last().as(int[].class));
        CompoundReply.Fattr o = attrs(f.fh(), Attr.OWNER, Attr.OWNER_GROUP);
        assertEquals("2000", o.values().get(Attr.OWNER));
        assertEquals("300", o.values().get(Attr.OWNER_GROUP));
    }

    @Test
    void setattr_readOnlyAttributeIsInval_unsupportedIsAttrnotsupp_badOwnerIsBadowner() {
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        nfs.caller = user(0, 0);
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().raw(Attr.TYPE, NF4DIR))).status());
        assertEquals(NfsStatus.NFS4ERR_ATTRNOTSUPP, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().raw(12, 0))).status());
        assertEquals(NfsStatus.NFS4ERR_BADOWNER, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().owner("alice@example.org"))).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().mode(010000))).status());
    }

    @Test
    void setattr_modeByAnotherUser_isPerm_chownByNonRootIsPerm_touchNeedsWritePermission() {
        byte[] hello = ok(nfs.call41(b -> b.putrootfh().lookup("hello.txt").getfh())).last().as(byte[].class);
        assertEquals(NfsStatus.NFS4ERR_PERM, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().mode(0777))).status());
        assertEquals(NfsStatus.NFS4ERR_PERM, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().owner("1000"))).status());
        assertEquals(NfsStatus.NFS4ERR_PERM, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().mtime(Instant.EPOCH))).status());
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putfh(hello).setattr(StateId.ANONYMOUS,
                new Sattr().mtime(null))).status(), "uid 1000 may not write a 0644 root file");
    }

    @Test
    void getattrOfWriteOnlyTimes_isInval_butTheyAreSupported() {
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putrootfh().getattr(Attr.TIME_MODIFY_SET)).status());
        int[] supported = (int[]) attrs(ok(nfs.call41(b -> b.putrootfh().getfh())).last().as(byte[].class),
                Attr.SUPPORTED_ATTRS).values().get(Attr.SUPPORTED_ATTRS);
        assertNotEquals(0, supported[1] & (1 << (Attr.TIME_ACCESS_SET - 32)));
        assertNotEquals(0, supported[1] & (1 << (Attr.TIME_MODIFY_SET - 32)));
    }

    // ------------------------------------------------------------------ CREATE, LINK

    @Test
    void createDirectory_becomesTheCurrentHandle_ownedByTheCaller() {
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().create(NF4DIR, "ckpt", new Sattr().mode(0700)).getfh()));
        CompoundReply.Create c = r.op(OP_CREATE).as(CompoundReply.Create.class);
        assertArrayEquals(CompoundBuilder.bitmap(Attr.MODE), c.attrset());
        assertNotEquals(c.cinfo().before(), c.cinfo().after());
        CompoundReply.Fattr a = attrs(r.last().as(byte[].class), Attr.TYPE, Attr.MODE, Attr.OWNER);
        assertEquals(NF4DIR, a.type());
        assertEquals(0700, a.values().get(Attr.MODE));
        assertEquals("1000", a.values().get(Attr.OWNER));
        assertEquals(NfsStatus.NFS4ERR_EXIST, nfs.call41(b -> b.putrootfh().create(NF4DIR, "ckpt", new Sattr()))
                .status());
    }

    @Test
    void createOfWhatS3CannotHold_andLink_arePerm_whichLinuxShowsAsEperm_aRegularFileIsBadtype() {
        for (int type : new int[] {NF4LNK, NF4BLK, NF4CHR, NF4SOCK, NF4FIFO}) {
            assertEquals(NfsStatus.NFS4ERR_PERM, nfs.call41(b -> b.putrootfh().create(type, "x", new Sattr()))
                    .status(), "type " + type);
        }
        assertEquals(NfsStatus.NFS4ERR_BADTYPE, nfs.call41(b -> b.putrootfh().create(NF4REG, "x", new Sattr()))
                .status());
        assertEquals(NfsStatus.NFS4ERR_PERM, nfs.call41(b -> b.putrootfh().lookup("hello.txt").savefh()
                .putrootfh().link("again")).status());
        assertEquals(NfsStatus.NFS4ERR_NOFILEHANDLE, nfs.call41(b -> b.putrootfh().link("again")).status());
        assertEquals(NfsStatus.NFS4ERR_NOTDIR, nfs.call41(b -> b.putrootfh().lookup("hello.txt")
                .create(NF4DIR, "x", new Sattr())).status());
    }

    // ------------------------------------------------------------------ REMOVE, RENAME

    @Test
    void remove_ofAFileAndAnEmptyDirectory_aFullOneIsNotempty_aMissingNameNoent() {
        CompoundReply.ChangeInfo c = ok(nfs.call41(b -> b.putrootfh().remove("hello.txt"))).last()
                .as(CompoundReply.ChangeInfo.class);
        assertNotEquals(c.before(), c.after());
        assertFalse(fs.exists("hello.txt"));
        assertEquals(NfsStatus.NFS4ERR_NOTEMPTY, nfs.call41(b -> b.putrootfh().remove("dir")).status());
        ok(nfs.call41(b -> b.putrootfh().lookup("dir").remove("a.bin")));
        ok(nfs.call41(b -> b.putrootfh().remove("dir")));
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putrootfh().remove("dir")).status());
        assertEquals(NfsStatus.NFS4ERR_BADNAME, nfs.call41(b -> b.putrootfh().remove("..")).status());
    }

    @Test
    void rename_fromTheSavedDirectoryToTheCurrentOne_replacingAFile() {
        CompoundReply r = ok(nfs.call41(b -> b.putrootfh().savefh().lookup("dir").rename("hello.txt", "a.bin")));
        CompoundReply.Rename n = r.last().as(CompoundReply.Rename.class);
        assertNotEquals(n.source().before(), n.source().after());
        assertNotEquals(n.target().before(), n.target().after());
        assertEquals("hello\n", text(fs.content("dir/a.bin")));
        assertFalse(fs.exists("hello.txt"));
        ok(nfs.call41(b -> b.putrootfh().savefh().rename("dir", "renamed-dir")));
        assertEquals("hello\n", text(fs.content("renamed-dir/a.bin")));
    }

    @Test
    void rename_errors() {
        assertEquals(NfsStatus.NFS4ERR_NOFILEHANDLE, nfs.call41(b -> b.putrootfh().rename("hello.txt", "x"))
                .status());
        assertEquals(NfsStatus.NFS4ERR_NOENT, nfs.call41(b -> b.putrootfh().savefh().rename("nope", "x")).status());
        assertEquals(NfsStatus.NFS4ERR_INVAL, nfs.call41(b -> b.putrootfh().savefh().lookup("dir")
                .rename("dir", "inside")).status());
        assertEquals(NfsStatus.NFS4ERR_NOTDIR, nfs.call41(b -> b.putrootfh().lookup("hello.txt").savefh()
                .putrootfh().rename("hello.txt", "x")).status());
        assertEquals(NfsStatus.NFS4ERR_ISDIR, nfs.call41(b -> b.putrootfh().savefh().rename("hello.txt", "dir"))
                .status());
    }

    // ------------------------------------------------------------------ who may write

    @Test
    void readOnlyRule_isRofs_forEveryWriteOperation_andAccessGrantsNoWriteBits() {
        MemoryFileSystem other = new MemoryFileSystem(new ManualClock(), 1).put("f", "x");
        NfsHarness ro = harness(other, "* ro no-squash");
        ro.caller = user(0, 0);
        ro.mount41();
        byte[] f = ok(ro.call41(b -> b.putrootfh().lookup("f").getfh())).last().as(byte[].class);
        List<CompoundReply> replies = List.of(
                ro.call41(b -> b.putrootfh().openCreate(0, ro.clientId, OWNER, OPEN4_SHARE_ACCESS_BOTH, UNCHECKED4,
                        new Sattr(), 0, "n")),
                ro.call41(b -> b.putrootfh().open(0, ro.clientId, OWNER, OPEN4_SHARE_ACCESS_WRITE, 0, "f")),
                ro.call41(b -> b.putfh(f).write(StateId.ANONYMOUS, 0, FILE_SYNC4, "y".getBytes())),
                ro.call41(b -> b.putfh(f).commit(0, 0)),
                ro.call41(b -> b.putfh(f).setattr(StateId.ANONYMOUS, new Sattr().mode(0600))),
                ro.call41(b -> b.putrootfh().create(NF4DIR, "d", new Sattr())),
                ro.call41(b -> b.putrootfh().remove("f")),
                ro.call41(b -> b.putrootfh().savefh().rename("f", "g")),
                ro.call41(b -> b.putrootfh().lookup("f").savefh().putrootfh().link("h")));
        for (CompoundReply r : replies) {
            assertEquals(NfsStatus.NFS4ERR_ROFS, r.status(), r.toString());
        }
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, ok(ro.call41(b -> b.putrootfh().access(0x3f))).last()
                .as(CompoundReply.Access.class).access());
    }

    @Test
    void aUserWithoutWriteAndSearchOnTheDirectory_getsAccess_forCreateRemoveRename() {
        nfs.caller = user(1000, 100);
        ok(nfs.call41(b -> b.putrootfh().create(NF4DIR, "private", new Sattr().mode(0755))));
        ok(nfs.call41(b -> b.putrootfh().lookup("private").create(NF4DIR, "sub", new Sattr())));
        nfs.caller = user(2000, 200);
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().lookup("private")
                .openCreate(0, nfs.clientId, OWNER, OPEN4_SHARE_ACCESS_BOTH, UNCHECKED4, new Sattr(), 0, "x"))
                .status());
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().lookup("private")
                .create(NF4DIR, "x", new Sattr())).status());
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().lookup("private").remove("sub"))
                .status());
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().lookup("private").savefh()
                .putrootfh().rename("sub", "stolen")).status());
        int granted = ok(nfs.call41(b -> b.putrootfh().lookup("private").access(0x3f))).last()
                .as(CompoundReply.Access.class).access();
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, granted, "others get r-x of 0755");
        nfs.caller = user(1000, 100);
        granted = ok(nfs.call41(b -> b.putrootfh().lookup("private").access(0x3f))).last()
                .as(CompoundReply.Access.class).access();
        assertEquals(0x1f, granted, "the owner may also modify, extend and delete");
    }

    @Test
    void aFileCreatedPrivate_isReadableByItsOwnerOnly_evenWhileOpenForWriting() {
        Opened mine = opened(create("secret", UNCHECKED4, new Sattr().mode(0600)));
        ok(nfs.call41(b -> b.putfh(mine.fh()).write(mine.stateId(), 0, FILE_SYNC4, "s".getBytes())));
        nfs.caller = user(2000, 100);
        assertEquals(NfsStatus.NFS4ERR_ACCESS, nfs.call41(b -> b.putrootfh().open(0, nfs.clientId,
                "x".getBytes(), OPEN4_SHARE_ACCESS_READ, 0, "secret")).status());
        Opened readOnly = opened(create("ro-file", UNCHECKED4, new Sattr().mode(0444)));
        ok(nfs.call41(b -> b.putfh(readOnly.fh()).write(readOnly.stateId(), 0, FILE_SYNC4, "w".getBytes())));
    }

    @Test
    void rootSquash_makesRootTheAnonymousUser_asCreatorAndForPermissions() {
        MemoryFileSystem squashed = new MemoryFileSystem(new ManualClock(), 1);
        NfsHarness gw = harness(squashed, "* rw root-squash anon-uid=4242 anon-gid=4343");
        gw.caller = user(0, 0);
        gw.mount41();
        ok(gw.call41(b -> b.putrootfh().create(NF4DIR, "by-root", new Sattr().mode(0700))));
        byte[] dir = ok(gw.call41(b -> b.putrootfh().lookup("by-root").getfh())).last().as(byte[].class);
        CompoundReply.Fattr a = ok(gw.call41(b -> b.putfh(dir).getattr(Attr.OWNER, Attr.OWNER_GROUP))).last()
                .as(CompoundReply.Fattr.class);
        assertEquals("4242", a.values().get(Attr.OWNER));
        assertEquals("4343", a.values().get(Attr.OWNER_GROUP));
        gw.caller = user(1000, 100);
        assertEquals(NfsStatus.NFS4ERR_ACCESS, gw.call41(b -> b.putfh(dir).create(NF4DIR, "x", new Sattr()))
                .status());
    }
}

package io.prefetchd.gateway.nfs.v4;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LOOKUP, GETATTR and OPEN of names the file system does not hold suspend their COMPOUND while a metadata thread
 * asks S3, and carry on, with the answer or the error the synchronous path would give, once it has. The metadata
 * thread is a queue the test runs by hand, so nothing here waits on time.
 */
class DeferredMetadataTest {
    private static final byte[] OWNER = "open id:deferred".getBytes(StandardCharsets.UTF_8);

    /** Tasks run only when the test says so. */
    private static final class Queued implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            Runnable t;
            while ((t = poll()) != null) {
                t.run();
            }
        }

        private synchronized Runnable poll() {
            return tasks.poll();
        }
    }

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private final Queued metadata = new Queued();
    private NfsHarness nfs;

    @BeforeEach
    void setUp() {
        store.put("dir/a.txt", "alpha".getBytes(StandardCharsets.UTF_8));
        store.put("dir/sub/b.txt", "b".getBytes(StandardCharsets.UTF_8));
        store.put("top.txt", "top".getBytes(StandardCharsets.UTF_8));
        S3FileSystem fs = new S3FileSystem(store, "", new PassThroughCache(store), n -> n.path().hashCode(),
                MetadataSettings.withTtl(Duration.ofSeconds(30)), clock, metadata, new SimpleMeterRegistry());
        nfs = new NfsHarness(null, null, fs);
        nfs.mount41();
    }

    private CompletableFuture<XdrWriter> start(CompoundBuilder b) throws XdrException {
        return nfs.processor.processAsync(b.build(), nfs.caller, 0);
    }

    private static CompoundReply decode(CompletableFuture<XdrWriter> reply) throws Exception {
        assertTrue(reply.isDone(), "the COMPOUND has finished");
        return CompoundReply.decode(reply.get().toByteArray());
    }

    @Test
    void lookupOfANameNoListingHolds_waitsForTheMetadataThread_thenAnswers() throws Exception {
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putrootfh().lookup("dir").lookup("a.txt")
                .getfh().getattr(Attr.SIZE));
        assertFalse(pending.isDone(), "LOOKUP waits on S3 without the caller's thread");
        assertFalse(metadata.tasks.isEmpty());

        metadata.runAll();
        CompoundReply reply = ok(decode(pending));
        assertEquals(5, reply.last().as(CompoundReply.Fattr.class).size());
    }

    @Test
    void lookupOfAMissingName_afterWaiting_isNoent() throws Exception {
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putrootfh().lookup("nope"));
        assertFalse(pending.isDone());

        metadata.runAll();
        CompoundReply reply = decode(pending);
        assertEquals(NfsStatus.NFS4ERR_NOENT, reply.status());
        assertEquals(Nfs4.OP_LOOKUP, reply.last().opcode());
    }

    @Test
    void readdirOfADirectoryNotListed_waitsForItsListing_afterWhichLookupsAnswerAtOnce() throws Exception {
        CompletableFuture<XdrWriter> listing = start(nfs.next41(false).putrootfh().readdir(0, 0, 8192, 8192,
                Attr.TYPE));
        assertFalse(listing.isDone(), "the LIST runs on a metadata thread");
        metadata.runAll();
        assertEquals(2, ok(decode(listing)).last().as(CompoundReply.Readdir.class).entries().size());

        CompletableFuture<XdrWriter> lookup = start(nfs.next41(false).putrootfh().lookup("top.txt").getfh());
        assertTrue(lookup.isDone(), "the listing answers: no S3 request");
        ok(decode(lookup));
    }

    @Test
    void getattrOfADirectoryNotListed_waitsForItsListing() throws Exception {
        metadata.runAll();
        byte[] sub = lookedUp("dir", "sub");
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putfh(sub).getattr(Attr.TYPE, Attr.CHANGE));
        assertFalse(pending.isDone(), "the directory's LIST runs on a metadata thread");

        metadata.runAll();
        CompoundReply reply = ok(decode(pending));
        assertEquals(Nfs4.NF4DIR, reply.last().as(CompoundReply.Fattr.class).type());
    }

    @Test
    void openByNameNoListingHolds_waits_thenOpensTheFileWithItsSize() throws Exception {
        metadata.runAll();
        byte[] dir = lookedUp("dir");
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putfh(dir).open(0, nfs.clientId, OWNER,
                Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "a.txt").getattr(Attr.SIZE));
        assertFalse(pending.isDone());

        metadata.runAll();
        CompoundReply reply = ok(decode(pending));
        assertEquals(5, reply.last().as(CompoundReply.Fattr.class).size());
    }

    @Test
    void openByNameWhoseHeadFails_answersTheStoreErrorsStatus() throws Exception {
        metadata.runAll();
        byte[] dir = lookedUp("dir");
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putfh(dir).open(0, nfs.clientId, OWNER,
                Nfs4.OPEN4_SHARE_ACCESS_READ, 0, "a.txt"));
        assertFalse(pending.isDone());
        store.setUnreachable(true);

        metadata.runAll();
        CompoundReply reply = decode(pending);
        assertEquals(NfsStatus.NFS4ERR_IO, reply.status(), "S3 unreachable");
        assertEquals(Nfs4.OP_OPEN, reply.last().opcode());
    }

    /** The handle of {@code path}, letting the metadata thread answer as often as it is asked. */
    private byte[] lookedUp(String... path) throws Exception {
        CompoundBuilder b = nfs.next41(false).putrootfh();
        for (String p : path) {
            b.lookup(p);
        }
        CompletableFuture<XdrWriter> pending = start(b.getfh());
        for (int i = 0; i <= path.length && !pending.isDone(); i++) {
            metadata.runAll();
        }
        return ok(decode(pending)).last().as(byte[].class);
    }
}

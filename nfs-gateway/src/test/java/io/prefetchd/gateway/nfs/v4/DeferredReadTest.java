package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.prefetchd.gateway.nfs.v4.NfsHarness.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A READ whose bytes are being fetched suspends its COMPOUND: the session slot stays in use until the reply is
 * made (a retransmission meanwhile gets NFS4ERR_DELAY), the reply the slot caches is the one finally sent, the
 * operations after the READ run once it completes, and an S3 failure still maps to its NFS status. GETs are held on
 * a latch; the waits are bounds on liveness, not measurements.
 */
class DeferredReadTest {
    private static final byte[] OWNER = "open id:deferred".getBytes(StandardCharsets.UTF_8);
    private static final String CONTENT = "bytes that are not cached yet\n";

    private final NfsHarness nfs = new NfsHarness().put("cold.txt", CONTENT);
    private final CountDownLatch s3Answers = new CountDownLatch(1);
    private byte[] file;
    private StateId stateId;

    @BeforeEach
    void openFile() {
        nfs.mount41();
        CompoundReply o = ok(nfs.call41(b -> b.putrootfh().open(0, nfs.clientId, OWNER, Nfs4.OPEN4_SHARE_ACCESS_READ,
                0, "cold.txt").getfh()));
        stateId = o.op(Nfs4.OP_OPEN).as(CompoundReply.Open.class).stateId();
        file = o.op(Nfs4.OP_GETFH).as(byte[].class);
        nfs.store.setGetHook((key, offset, length) -> s3Answers.await());
    }

    @AfterEach
    void releaseS3() {
        s3Answers.countDown();
    }

    private CompletableFuture<XdrWriter> start(byte[] request) throws XdrException {
        return nfs.processor.processAsync(request, nfs.caller, 0);
    }

    private double waiting() {
        return nfs.registry.get("prefetchd.nfs.compounds.waiting").gauge().value();
    }

    private static CompoundReply decode(CompletableFuture<XdrWriter> reply) throws Exception {
        return CompoundReply.decode(reply.get(30, TimeUnit.SECONDS).toByteArray());
    }

    @Test
    void read_waitingOnS3_holdsItsSlot_andTheSlotCachesTheReplyFinallySent() throws Exception {
        byte[] request = nfs.next41(true).putfh(file).read(stateId, 0, 4096).build();
        CompletableFuture<XdrWriter> first = start(request);
        assertFalse(first.isDone(), "the READ waits for its GET");
        assertEquals(1, waiting(), "one COMPOUND waits on S3");

        CompoundReply retransmitted = CompoundReply.decode(nfs.raw(request));
        assertEquals(NfsStatus.NFS4ERR_DELAY, retransmitted.status(), "the slot is in use until the reply is made");

        s3Answers.countDown();
        byte[] sent = first.get(30, TimeUnit.SECONDS).toByteArray();
        CompoundReply reply = ok(CompoundReply.decode(sent));
        assertEquals(CONTENT, new String(reply.last().as(CompoundReply.Read.class).data(), StandardCharsets.UTF_8));
        assertArrayEquals(sent, nfs.raw(request), "a retransmission now gets the reply that was sent");
        assertEquals(0, waiting());
    }

    @Test
    void operationsAfterAWaitingRead_runOnceItCompletes_inOrder() throws Exception {
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putfh(file).read(stateId, 0, 4096)
                .getattr(Attr.SIZE).build());
        assertFalse(pending.isDone());

        s3Answers.countDown();
        CompoundReply reply = ok(decode(pending));
        assertEquals(4, reply.results().size(), "SEQUENCE, PUTFH, READ, GETATTR");
        assertEquals(Nfs4.OP_GETATTR, reply.last().opcode());
        assertEquals(CONTENT.length(), reply.last().as(CompoundReply.Fattr.class).size());
    }

    @Test
    void read_whoseGetFails_answersTheStoreErrorsStatus_andFreesTheSlot() throws Exception {
        nfs.store.failNextGets(1, ObjectStoreException.Kind.THROTTLED);
        CompletableFuture<XdrWriter> pending = start(nfs.next41(false).putfh(file).read(stateId, 0, 4096).build());
        assertFalse(pending.isDone());

        s3Answers.countDown();
        CompoundReply reply = decode(pending);
        assertEquals(NfsStatus.NFS4ERR_DELAY, reply.status(), "S3 throttling: the client tries again later");
        assertEquals(Nfs4.OP_READ, reply.last().opcode());
        CompoundReply again = ok(nfs.call41(b -> b.putfh(file).read(stateId, 0, 4096)));
        assertEquals(CONTENT, new String(again.last().as(CompoundReply.Read.class).data(), StandardCharsets.UTF_8));
    }
}

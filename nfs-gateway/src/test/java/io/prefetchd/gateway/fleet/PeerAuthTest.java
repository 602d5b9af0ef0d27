package io.prefetchd.gateway.fleet;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signatures of peer reads and their replies, on a manual clock. */
class PeerAuthTest {
    private static final String TOKEN = "fleet-secret-0001";
    private final ManualClock clock = new ManualClock();
    private final PeerAuth auth = PeerAuth.of(TOKEN, clock);
    private final PeerProtocol.ReadRequest request = new PeerProtocol.ReadRequest(
            new ObjectVersion("train/a.jpg", "0123456789abcdef0123456789abcdef", 4096), 128, 512);
    private final PeerProtocol.ReadReply reply = new PeerProtocol.ReadReply(
            "bytes".getBytes(StandardCharsets.UTF_8), 1);

    private static Status.Code refusal(Runnable r) {
        return assertThrows(StatusRuntimeException.class, r::run).getStatus().getCode();
    }

    @Test
    void signedRequest_verifies_andItsReplyToo() {
        PeerAuth.Signed s = auth.sign(request);

        byte[] mac = auth.verify(s.header(), request);

        assertArrayEquals(s.mac(), mac);
        assertTrue(auth.verifyReply(auth.signReply(mac, reply), mac, reply));
        assertFalse(s.header().contains(TOKEN));
    }

    @Test
    void everyFieldOfTheRequest_isSigned() {
        PeerAuth.Signed s = auth.sign(request);
        ObjectVersion o = request.object();
        for (PeerProtocol.ReadRequest changed : new PeerProtocol.ReadRequest[] {
                new PeerProtocol.ReadRequest(new ObjectVersion("train/b.jpg", o.etag(), o.size()), 128, 512),
                new PeerProtocol.ReadRequest(new ObjectVersion(o.key(), "ffff", o.size()), 128, 512),
                new PeerProtocol.ReadRequest(new ObjectVersion(o.key(), o.etag(), 4097), 128, 512),
                new PeerProtocol.ReadRequest(o, 0, 512),
                new PeerProtocol.ReadRequest(o, 128, 4096),
                new PeerProtocol.ReadRequest(o, 128, 512, true)}) {
            assertEquals(Status.Code.UNAUTHENTICATED, refusal(() -> auth.verify(s.header(), changed)), changed.toString());
        }
    }

    @Test
    void missingMalformedOrForeignSignatures_areRefused() {
        String foreign = PeerAuth.of("another-secret-01", clock).sign(request).header();
        for (String header : new String[] {null, "", "1.2.3", "2.0.00.00", "1.x.00.00", foreign}) {
            assertEquals(Status.Code.UNAUTHENTICATED, refusal(() -> auth.verify(header, request)), header);
        }
    }

    @Test
    void aSignatureWhoseNonceSwallowsTheRequestsFirstByte_isRefused() {
        // a hand-over read is 02 01 <fields>; the same fields as a plain read are 01 <fields>: moving the 02 into
        // the nonce would keep the bytes under the HMAC the same and turn a hand-over into a fetching read
        PeerProtocol.ReadRequest handOver = new PeerProtocol.ReadRequest(request.object(), 128, 512, true);
        String[] p = auth.sign(handOver).header().split("\\.");
        String moved = p[0] + "." + p[1] + "." + p[2] + "02." + p[3];

        assertEquals(Status.Code.UNAUTHENTICATED, refusal(() -> auth.verify(moved, request)));
    }

    @Test
    void aRequestOlderOrNewerThanTheSkew_isRefused_withinItServed() {
        PeerAuth.Signed s = auth.sign(request);

        clock.advance(PeerAuth.SKEW);
        auth.verify(s.header(), request);
        clock.advance(Duration.ofSeconds(1));
        StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> auth.verify(s.header(), request));

        assertTrue(late.getStatus().getDescription().contains("away from this member's clock"), late.getMessage());
        PeerAuth.Signed ahead = PeerAuth.of(TOKEN, clock).sign(request);
        clock.advance(PeerAuth.SKEW.negated().minusSeconds(2));
        assertEquals(Status.Code.UNAUTHENTICATED, refusal(() -> auth.verify(ahead.header(), request)));
    }

    @Test
    void aReply_isBoundToItsRequest_andToEveryByte() {
        byte[] mac = auth.verify(auth.sign(request).header(), request);
        byte[] other = auth.verify(auth.sign(request).header(), request);
        String signature = auth.signReply(mac, reply);

        assertNotEquals(new String(mac, StandardCharsets.ISO_8859_1), new String(other, StandardCharsets.ISO_8859_1),
                "two signatures of the same read differ (their nonces)");
        assertFalse(auth.verifyReply(signature, other, reply), "a reply to another read");
        assertFalse(auth.verifyReply(signature, mac, new PeerProtocol.ReadReply(
                "bytez".getBytes(StandardCharsets.UTF_8), 1)));
        assertFalse(auth.verifyReply(signature, mac, new PeerProtocol.ReadReply(reply.data(), 0)));
        assertFalse(auth.verifyReply(null, mac, reply));
        assertFalse(auth.verifyReply("not hex", mac, reply));
        assertFalse(PeerAuth.of("another-secret-01", clock).verifyReply(signature, mac, reply));
    }

    @Test
    void noToken_signsNothing_andNeverPrintsAKey() {
        assertFalse(PeerAuth.of("", clock).enabled());
        assertFalse(auth.toString().contains(TOKEN));
    }
}

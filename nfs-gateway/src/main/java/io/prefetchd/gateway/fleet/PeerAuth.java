package io.prefetchd.gateway.fleet;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static java.util.Objects.requireNonNull;

/**
 * The fleet token used as a key, never sent: each peer read request carries an HMAC-SHA256 of its bytes, the time
 * and a random nonce, and each reply an HMAC of its bytes and the request's HMAC, both in metadata
 * {@code x-prefetchd-peer-auth}. An owner serves only requests signed with its key and made within {@link #SKEW}
 * of its clock; a reader accepts only replies signed with its key for that very request. So a process that does not
 * know the token can neither read a member's cache nor answer a member's read with bytes of its own, even if it
 * reads the fleet's traffic or joins its membership (whose name travels in the clear).
 *
 * <p>What it does not do: encrypt (the bytes of the export cross the network as they are), or stop a request seen
 * on the network from being sent again within {@link #SKEW} (a read is idempotent and its bytes were seen anyway).
 *
 * <p>Thread-safe.
 */
final class PeerAuth {
    static final Metadata.Key<String> HEADER = Metadata.Key.of("x-prefetchd-peer-auth",
            Metadata.ASCII_STRING_MARSHALLER);
    /** How far a request's time may be from the owner's clock. */
    static final Duration SKEW = Duration.ofMinutes(5);
    private static final String ALGORITHM = "HmacSHA256";
    private static final int NONCE_BYTES = 16;
    private static final int MAC_BYTES = 32;
    private static final byte[] REQUEST = "prefetchd peer read request\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLY = "prefetchd peer read reply\0".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();
    private static final PeerAuth NONE = new PeerAuth(null, Clock.systemUTC());

    private final @Nullable SecretKeySpec key;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    private PeerAuth(@Nullable SecretKeySpec key, Clock clock) {
        this.key = key;
        this.clock = clock;
    }

    /** No token: nothing is signed or checked. */
    static PeerAuth none() {
        return NONE;
    }

    /** {@code token} as the key; an empty token is {@link #none()}. */
    static PeerAuth of(String token, Clock clock) {
        requireNonNull(token, "token is null");
        requireNonNull(clock, "clock is null");
        return token.isEmpty() ? NONE : new PeerAuth(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8),
                ALGORITHM), clock);
    }

    boolean enabled() {
        return key != null;
    }

    /** A signed request: the metadata value to send, and its HMAC, which the reply's is bound to. */
    record Signed(String header, byte[] mac) {
    }

    Signed sign(PeerProtocol.ReadRequest request) {
        long seconds = clock.instant().getEpochSecond();
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] mac = requestMac(seconds, nonce, request);
        return new Signed("1." + seconds + "." + HEX.formatHex(nonce) + "." + HEX.formatHex(mac), mac);
    }

    /**
     * The request's HMAC, when {@code header} signs it with this key within {@link #SKEW} of now.
     *
     * @throws StatusRuntimeException UNAUTHENTICATED, saying why, otherwise
     */
    byte[] verify(@Nullable String header, PeerProtocol.ReadRequest request) {
        if (header == null) {
            throw refused("the read is not signed with a fleet token");
        }
        String[] parts = header.split("\\.", -1);
        long seconds;
        byte[] nonce;
        byte[] mac;
        try {
            if (parts.length != 4 || !parts[0].equals("1")) {
                throw new IllegalArgumentException("not a version 1 signature");
            }
            seconds = Long.parseLong(parts[1]);
            nonce = HEX.parseHex(parts[2]);
            mac = HEX.parseHex(parts[3]);
            if (nonce.length != NONCE_BYTES || mac.length != MAC_BYTES) {
                // a nonce of another length would let bytes move between it and the request and keep the HMAC
                throw new IllegalArgumentException("a nonce of " + nonce.length + " bytes and an HMAC of "
                        + mac.length);
            }
        } catch (IllegalArgumentException e) {
            throw refused("malformed read signature: " + e.getMessage());
        }
        if (!MessageDigest.isEqual(mac, requestMac(seconds, nonce, request))) {
            throw refused("the read is signed with another fleet token");
        }
        long skew = Math.abs(clock.instant().getEpochSecond() - seconds);
        if (skew > SKEW.toSeconds()) {
            throw refused("the read was signed " + skew + " s away from this member's clock (at most "
                    + SKEW.toSeconds() + " s)");
        }
        return mac;
    }

    String signReply(byte[] requestMac, PeerProtocol.ReadReply reply) {
        return HEX.formatHex(replyMac(requestMac, reply));
    }

    /** Whether {@code header} signs {@code reply} to the request whose HMAC is {@code requestMac}, with this key. */
    boolean verifyReply(@Nullable String header, byte[] requestMac, PeerProtocol.ReadReply reply) {
        if (header == null) {
            return false;
        }
        try {
            return MessageDigest.isEqual(HEX.parseHex(header), replyMac(requestMac, reply));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The owner's side: refuses unsigned or badly signed reads, and signs every reply. */
    ServerInterceptor serverSide() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                return signing(call, headers, next);
            }
        };
    }

    private <Q, R> ServerCall.Listener<Q> signing(ServerCall<Q, R> call, Metadata headers,
                                                  ServerCallHandler<Q, R> next) {
        String header = headers.get(HEADER);
        byte[][] requestMac = new byte[1][];
        ServerCall<Q, R> signed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            private @Nullable String replySignature;

            @Override
            public void sendMessage(R message) {
                if (message instanceof PeerProtocol.ReadReply r && requestMac[0] != null) {
                    replySignature = signReply(requestMac[0], r);
                }
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (replySignature != null) {
                    trailers.put(HEADER, replySignature);
                }
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> served = next.startCall(signed, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(served) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                try {
                    requestMac[0] = verify(header, (PeerProtocol.ReadRequest) message);
                } catch (StatusRuntimeException e) {
                    refused = true;
                    call.close(e.getStatus(), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    private byte[] requestMac(long seconds, byte[] nonce, PeerProtocol.ReadRequest request) {
        Mac m = mac();
        m.update(REQUEST);
        m.update(ByteBuffer.allocate(Long.BYTES).putLong(seconds).array());
        m.update(nonce);
        m.update(PeerProtocol.encode(request));
        return m.doFinal();
    }

    private byte[] replyMac(byte[] requestMac, PeerProtocol.ReadReply reply) {
        Mac m = mac();
        m.update(REPLY);
        m.update(requestMac);
        m.update(ByteBuffer.allocate(Integer.BYTES).putInt(reply.missedBlocks()).array());
        m.update(reply.data());
        return m.doFinal();
    }

    private Mac mac() {
        SecretKeySpec k = key;
        if (k == null) {
            throw new IllegalStateException("no fleet token to sign with");
        }
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(k);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is missing from this JVM", e);
        }
    }

    private static StatusRuntimeException refused(String why) {
        return Status.UNAUTHENTICATED.withDescription(why).asRuntimeException();
    }

    @Override
    public String toString() {
        return enabled() ? "PeerAuth(HMAC-SHA256)" : "PeerAuth(none)";   // never the key
    }
}

package io.prefetchd.gateway.fleet;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.prefetchd.gateway.cache.ObjectVersion;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import static java.util.Objects.requireNonNull;

/**
 * The peer data channel's one call, {@code prefetchd.fleet.v1.Peer/Read}: a member asks a block's owner for
 * {@code [offset, offset + length)} of one object version, and the owner answers from its cache (fetching the block
 * from S3 first if it has to). gRPC carries it with two hand-written marshallers, so no generated code is needed
 * for a message of five fields.
 *
 * <p>Request: version byte {@code 1}, key (modified UTF-8), ETag (modified UTF-8), size, offset (int64), length
 * (int32); or version byte {@code 2}, a flags byte, then the same fields. Flag {@code 1} asks for cached bytes only
 * (a hand-over): the member answers from blocks it holds and never fetches, else fails the call with
 * {@link #NOT_CACHED}. A request without flags is sent as version 1, which members of every version read. Reply: the
 * owner's count of blocks that missed its cache (int32), then the bytes.
 */
final class PeerProtocol {
    static final String SERVICE = "prefetchd.fleet.v1.Peer";
    private static final byte VERSION = 1;
    /** The version of requests with flags. */
    private static final byte VERSION_FLAGS = 2;
    private static final int CACHED_ONLY = 1;
    /** The answer to a cached-only request for bytes the member does not hold. */
    static final Status NOT_CACHED = Status.OUT_OF_RANGE.withDescription("not cached here");
    /** Largest reply: an NFS READ is at most 16 MiB (prefetchd.nfs.max-read), plus the header. */
    static final int MAX_MESSAGE = (16 << 20) + 1024;

    /**
     * What a member asks another for.
     *
     * @param cachedOnly answer only from blocks held now, never fetch (then {@code object}'s size may be just the
     *     range's end: held blocks do not depend on it)
     */
    record ReadRequest(ObjectVersion object, long offset, int length, boolean cachedOnly) {
        ReadRequest {
            requireNonNull(object, "object is null");
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("range " + offset + "+" + length);
            }
        }

        /** A read through the owner's cache, which fetches what it misses. */
        ReadRequest(ObjectVersion object, long offset, int length) {
            this(object, offset, length, false);
        }
    }

    /** The owner's answer: the bytes, and how many of its blocks it had to fetch for them. */
    record ReadReply(byte[] data, int missedBlocks) {
        ReadReply {
            requireNonNull(data, "data is null");
        }
    }

    static final MethodDescriptor<ReadRequest, ReadReply> READ = MethodDescriptor.<ReadRequest, ReadReply>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Read"))
            .setRequestMarshaller(new RequestMarshaller())
            .setResponseMarshaller(new ReplyMarshaller())
            .setIdempotent(true)
            .build();

    private PeerProtocol() {
    }

    /** A request's bytes on the wire: what {@link PeerAuth} signs. */
    static byte[] encode(ReadRequest r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + r.object().key().length());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (r.cachedOnly()) {
                out.writeByte(VERSION_FLAGS);
                out.writeByte(CACHED_ONLY);
            } else {
                out.writeByte(VERSION);
            }
            out.writeUTF(r.object().key());
            out.writeUTF(r.object().etag());
            out.writeLong(r.object().size());
            out.writeLong(r.offset());
            out.writeInt(r.length());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static final class RequestMarshaller implements MethodDescriptor.Marshaller<ReadRequest> {
        @Override
        public InputStream stream(ReadRequest r) {
            return new ByteArrayInputStream(encode(r));
        }

        @Override
        public ReadRequest parse(InputStream stream) {
            try (DataInputStream in = new DataInputStream(stream)) {
                byte version = in.readByte();
                if (version != VERSION && version != VERSION_FLAGS) {
                    throw Status.INVALID_ARGUMENT.withDescription("peer read request version " + version
                            + ", this member speaks " + VERSION + " and " + VERSION_FLAGS).asRuntimeException();
                }
                int flags = version == VERSION_FLAGS ? in.readUnsignedByte() : 0;
                if ((flags & ~CACHED_ONLY) != 0) {
                    throw Status.INVALID_ARGUMENT.withDescription("peer read request flags " + flags)
                            .asRuntimeException();
                }
                return new ReadRequest(new ObjectVersion(in.readUTF(), in.readUTF(), in.readLong()), in.readLong(),
                        in.readInt(), (flags & CACHED_ONLY) != 0);
            } catch (IOException | IllegalArgumentException e) {
                throw Status.INVALID_ARGUMENT.withDescription("malformed peer read request: " + e)
                        .asRuntimeException();
            }
        }
    }

    static final class ReplyMarshaller implements MethodDescriptor.Marshaller<ReadReply> {
        @Override
        public InputStream stream(ReadReply r) {
            byte[] out = new byte[4 + r.data().length];
            int m = r.missedBlocks();
            out[0] = (byte) (m >>> 24);
            out[1] = (byte) (m >>> 16);
            out[2] = (byte) (m >>> 8);
            out[3] = (byte) m;
            System.arraycopy(r.data(), 0, out, 4, r.data().length);
            return new ByteArrayInputStream(out);
        }

        @Override
        public ReadReply parse(InputStream stream) {
            try (DataInputStream in = new DataInputStream(stream)) {
                int missed = in.readInt();
                return new ReadReply(in.readAllBytes(), missed);
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("malformed peer read reply: " + e).asRuntimeException();
            }
        }
    }
}

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
 * (int32). Reply: the owner's count of blocks that missed its cache (int32), then the bytes.
 */
final class PeerProtocol {
    static final String SERVICE = "prefetchd.fleet.v1.Peer";
    private static final byte VERSION = 1;
    /** Largest reply: an NFS READ is at most 16 MiB (prefetchd.nfs.max-read), plus the header. */
    static final int MAX_MESSAGE = (16 << 20) + 1024;

    /** What a member asks the owner for. */
    record ReadRequest(ObjectVersion object, long offset, int length) {
        ReadRequest {
            requireNonNull(object, "object is null");
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("range " + offset + "+" + length);
            }
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

    static final class RequestMarshaller implements MethodDescriptor.Marshaller<ReadRequest> {
        @Override
        public InputStream stream(ReadRequest r) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + r.object().key().length());
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(VERSION);
                out.writeUTF(r.object().key());
                out.writeUTF(r.object().etag());
                out.writeLong(r.object().size());
                out.writeLong(r.offset());
                out.writeInt(r.length());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new ByteArrayInputStream(bytes.toByteArray());
        }

        @Override
        public ReadRequest parse(InputStream stream) {
            try (DataInputStream in = new DataInputStream(stream)) {
                byte version = in.readByte();
                if (version != VERSION) {
                    throw Status.INVALID_ARGUMENT.withDescription("peer read request version " + version
                            + ", this member speaks " + VERSION).asRuntimeException();
                }
                return new ReadRequest(new ObjectVersion(in.readUTF(), in.readUTF(), in.readLong()), in.readLong(),
                        in.readInt());
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

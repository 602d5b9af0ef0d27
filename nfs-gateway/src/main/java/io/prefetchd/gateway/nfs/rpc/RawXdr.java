package io.prefetchd.gateway.nfs.rpc;

import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.dcache.oncrpc4j.xdr.Xdr;
import org.dcache.oncrpc4j.xdr.XdrAble;
import org.dcache.oncrpc4j.xdr.XdrDecodingStream;
import org.dcache.oncrpc4j.xdr.XdrEncodingStream;
import org.glassfish.grizzly.Buffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Bytes that are already XDR, moved in and out of oncrpc4j as they are: the server and prefetchd's own client
 * encode and decode COMPOUNDs themselves (with bounds checks oncrpc4j's decoder lacks), so oncrpc4j only frames
 * RPC messages.
 */
public final class RawXdr {
    private RawXdr() {
    }

    /** The rest of a message (a call's arguments or a reply's results), copied out in one go. */
    public static final class Incoming implements XdrAble {
        private byte[] bytes = new byte[0];
        private int offset;

        @Override
        public void xdrDecode(XdrDecodingStream xdr) throws IOException {
            Buffer b = ((Xdr) xdr).asBuffer();
            offset = b.position();
            int n = b.remaining();
            if ((n & 3) != 0) {
                throw new IOException("message body of " + n + " bytes is not a whole number of XDR words");
            }
            bytes = new byte[n];
            b.get(bytes);
        }

        @Override
        public void xdrEncode(XdrEncodingStream xdr) {
            throw new UnsupportedOperationException("incoming only");
        }

        public byte[] bytes() {
            return bytes;
        }

        /** Bytes of the message before these (for a call: its RPC header, credential and verifier). */
        public int offset() {
            return offset;
        }
    }

    /**
     * Bytes to send as they are; always a whole number of XDR words. A shared payload (READ or WRITE data) that ends
     * the message and needs no padding is not copied into oncrpc4j's buffer: it is appended to it by reference (a
     * composite buffer) and written to the socket from where it is. Anything after it, or its padding, would make
     * oncrpc4j grow the composite by half its size, so such payloads are copied as before.
     */
    public record Outgoing(XdrWriter reply) implements XdrAble {
        /** {@code bytes} (whole XDR words, not copied) as they are. */
        public Outgoing(byte[] bytes) {
            this(XdrWriter.of(bytes));
        }

        @Override
        public void xdrDecode(XdrDecodingStream xdr) {
            throw new UnsupportedOperationException("outgoing only");
        }

        @Override
        public void xdrEncode(XdrEncodingStream xdr) {
            if (!(xdr instanceof Xdr buffer)) {
                reply.writeTo(xdr::xdrEncodeOpaque);
                return;
            }
            reply.writeTo(new XdrWriter.Target() {
                @Override
                public void words(byte[] bytes, int offset, int length) {
                    buffer.xdrEncodeOpaque(bytes, offset, length);
                }

                @Override
                public void opaque(byte[] data, boolean last) {
                    if (last && (data.length & 3) == 0) {
                        buffer.xdrEncodeShallowByteBuffer(ByteBuffer.wrap(data));
                    } else {
                        buffer.xdrEncodeInt(data.length);
                        buffer.xdrEncodeOpaque(data, 0, data.length);
                    }
                }
            });
        }
    }
}

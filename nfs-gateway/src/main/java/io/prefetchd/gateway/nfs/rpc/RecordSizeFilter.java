package io.prefetchd.gateway.nfs.rpc;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Caps the size of an RPC record on a TCP connection (RFC 5531 section 11, record marking), in front of
 * oncrpc4j's parser, which buffers a record until its last fragment arrives however large the fragment headers
 * say it is.
 *
 * <p>The filter follows the record marking of the byte stream as it is read, without copying or holding any of
 * it: each fragment header's size is added to the record being received (headers count 4 bytes each, so a
 * stream of empty fragments is bounded too). When a record would exceed the cap, the connection is closed at
 * once and nothing of it is passed on: a client that announces 2 GiB, or sends a 100 MB fragment, costs the
 * server nothing and other connections are unaffected. Stateless itself; the framing state of each connection
 * lives in a connection attribute, touched only by that connection's read processing, one read at a time.
 */
final class RecordSizeFilter extends BaseFilter {
    private static final Logger LOG = LoggerFactory.getLogger(RecordSizeFilter.class);

    private final long maxRecordBytes;
    private final Consumer<Connection<?>> onRefused;
    private final Attribute<Framing> framing =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(RecordSizeFilter.class.getName(), Framing::new);

    RecordSizeFilter(long maxRecordBytes, Consumer<Connection<?>> onRefused) {
        if (maxRecordBytes < 4) {
            throw new IllegalArgumentException("maxRecordBytes must be at least 4, not " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
        this.onRefused = requireNonNull(onRefused, "onRefused is null");
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) {
        Buffer b = ctx.getMessage();
        Connection<?> c = ctx.getConnection();
        long announced = framing.get(c).scan(b, maxRecordBytes);
        if (announced > maxRecordBytes) {
            LOG.warn("closing NFS connection from {}: an RPC record of at least {} bytes exceeds the {}-byte limit",
                    c.getPeerAddress(), announced, maxRecordBytes);
            onRefused.accept(c);
            c.closeSilently();
            return ctx.getStopAction();
        }
        return ctx.getInvokeAction();
    }

    /** Where a connection's byte stream stands in its record marking. */
    static final class Framing {
        private int headerBytesSeen;
        private int header;
        private long fragmentLeft;
        private boolean lastFragment;
        private long recordBytes;

        /**
         * Follows {@code b}'s remaining bytes (without moving its position).
         *
         * @return the size the current record has reached, as announced by its fragment headers so far; more
         *         than {@code max} means the record must be refused (scanning stops there)
         */
        long scan(Buffer b, long max) {
            int i = b.position();
            int end = b.limit();
            while (i < end) {
                if (fragmentLeft > 0) {
                    int n = (int) Math.min(fragmentLeft, end - i);
                    i += n;
                    fragmentLeft -= n;
                    endOfFragment();
                    continue;
                }
                header = (header << 8) | (b.get(i++) & 0xff);
                if (++headerBytesSeen < 4) {
                    continue;
                }
                lastFragment = header < 0;
                fragmentLeft = header & 0x7fffffffL;
                headerBytesSeen = 0;
                header = 0;
                recordBytes += 4 + fragmentLeft;
                if (recordBytes > max) {
                    return recordBytes;
                }
                endOfFragment();
            }
            return recordBytes;
        }

        private void endOfFragment() {
            if (fragmentLeft == 0 && lastFragment) {
                recordBytes = 0;
                lastFragment = false;
            }
        }
    }
}

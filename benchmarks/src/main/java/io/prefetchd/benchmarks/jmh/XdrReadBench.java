package io.prefetchd.benchmarks.jmh;

import io.prefetchd.gateway.nfs.client.CompoundBuilder;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrReader;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Question: how long does the server's XDR layer take to decode a READ COMPOUND (SEQUENCE, PUTFH, READ) and to
 * encode its reply with {@code readBytes} of data, and is that small next to the one copy of the payload into the
 * send buffer that every READ pays anyway ({@link #copyBaseline})?
 *
 * <p>Rerun: {@code benchmarks/run-jmh XdrReadBench -f 1 -wi 3 -i 5} (one size: {@code -p readBytes=65536}).
 * Compare {@link #encodeReply} and {@link #decodeRequest} with {@link #copyBaseline} of the same run and size, as
 * ratios; absolute figures depend on the machine.
 *
 * <p>What is measured is the project's public XDR surface, as {@code CompoundProcessor} uses it: the request is
 * built by {@link CompoundBuilder} (the client's encoder) once; {@link #decodeRequest} reads the header and each
 * operation's arguments with {@link XdrReader} and {@link Args#decode}; {@link #encodeReply} writes the reply as
 * the processor does (status, tag, SEQUENCE's and PUTFH's results, READ's eof and data shared with
 * {@link XdrWriter#writeOpaqueShared}) and sends it into a byte array through {@link XdrWriter#writeTo}, the copy
 * oncrpc4j's encoder makes. Session checks, the file system and the cache are not part of it (see
 * {@code CacheReadBench}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class XdrReadBench {
    static final long READ_OFFSET = 123L << 20;

    /** Bytes of data in the READ reply: the Linux client's rsize (1 MiB) and a small read. */
    @Param({"1048576", "65536"})
    public int readBytes;

    byte[] sessionId;
    byte[] fileHandle;
    StateId stateId;
    byte[] request;
    byte[] data;
    /** Where the reply is sent: stands for oncrpc4j's output buffer. */
    byte[] wire;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        sessionId = bytes(random, Nfs4.SESSIONID_SIZE);
        fileHandle = bytes(random, 40);
        stateId = new StateId(1, bytes(random, Nfs4.STATEID_OTHER_SIZE));
        request = new CompoundBuilder(1).sequence(sessionId, 17, 3, 15, false).putfh(fileHandle)
                .read(stateId, READ_OFFSET, readBytes).build();
        data = bytes(random, readBytes);
        wire = new byte[readBytes + 1024];
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    /** Decodes the COMPOUND header and every operation's arguments; returns READ's. */
    @Benchmark
    public Args.Read decodeRequest() throws XdrException {
        XdrReader r = new XdrReader(request);
        r.readOpaque(Nfs4.OPAQUE_LIMIT);   // tag
        int minor = r.readInt();
        int count = r.readCount(4, 128);
        Args.Read read = null;
        for (int i = 0; i < count; i++) {
            int opcode = r.readInt();
            Object args = Args.decode(opcode, r);
            if (args instanceof Args.Read a) {
                read = a;
            }
        }
        if (minor != 1 || read == null) {
            throw new IllegalStateException("not a 4.1 READ COMPOUND");
        }
        return read;
    }

    /** Encodes the reply (the data shared, not copied) and sends it into {@link #wire}; returns its length. */
    @Benchmark
    public int encodeReply() {
        XdrWriter w = new XdrWriter(1024);
        w.writeInt(NfsStatus.NFS4_OK.code());
        w.writeOpaque(new byte[0]);   // tag
        int countAt = w.position();
        w.writeInt(0);
        w.writeInt(Nfs4.OP_SEQUENCE).writeInt(NfsStatus.NFS4_OK.code());
        w.writeFixedOpaque(sessionId).writeInt(17).writeInt(3).writeInt(15).writeInt(15).writeInt(0);
        w.writeInt(Nfs4.OP_PUTFH).writeInt(NfsStatus.NFS4_OK.code());
        w.writeInt(Nfs4.OP_READ).writeInt(NfsStatus.NFS4_OK.code());
        w.writeBool(false).writeOpaqueShared(data);
        w.patchInt(countAt, 3);
        int[] at = {0};
        w.writeTo((b, off, len) -> {
            System.arraycopy(b, off, wire, at[0], len);
            at[0] += (len + 3) & ~3;
        });
        return at[0];
    }

    /** Baseline: the one copy of the payload any READ reply needs. */
    @Benchmark
    public byte[] copyBaseline() {
        System.arraycopy(data, 0, wire, 0, data.length);
        return wire;
    }
}

package io.prefetchd.benchmarks.scale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.nfs.client.CompoundReply;
import io.prefetchd.gateway.nfs.client.Nfs4Client;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.s3.InMemoryObjectStore;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Question: what does a directory of a million objects cost the gateway: how long one full listing takes through
 * the NFS path, how much heap the listing holds per entry, and how fast a name in it is looked up?
 *
 * <p>Setup: {@code entries} objects {@code big/sample_NNNNNNN.jpg} in the in-memory object store (their bytes do
 * not matter); the gateway on loopback; prefetchd's NFSv4.1 client in the same JVM. A first full READDIR (pages of
 * 256 KiB, the attributes the Linux client asks for, cookies and verifier carried from page to page as the client
 * does) lists the objects from the store and holds the listing; the heap it retains, divided by the entries, is
 * {@code namespace.heap_bytes_per_entry}. A second full READDIR is served from the held listing:
 * {@code namespace.readdir_seconds_1m} (the first, with the store's LIST pages, is {@code readdir_cold_seconds_1m}).
 * Then {@code lookups} LOOKUPs of random names, one at a time: {@code namespace.lookup_p50_ms} and p99.
 *
 * <p>Rerun: {@code benchmarks/run-scale --only namespace} (FULL: 1 M entries; {@code --size quick}: 20 k).
 */
public final class NamespaceSection implements ScaleSection {
    private static final int PAGE_BYTES = 256 << 10;
    private static final int[] READDIR_ATTRS = {Attr.TYPE, Attr.CHANGE, Attr.SIZE, Attr.FSID, Attr.RDATTR_ERROR,
            Attr.FILEHANDLE, Attr.FILEID, Attr.MODE, Attr.NUMLINKS, Attr.OWNER, Attr.OWNER_GROUP, Attr.RAWDEV,
            Attr.SPACE_USED, Attr.TIME_ACCESS, Attr.TIME_METADATA, Attr.TIME_MODIFY, Attr.MOUNTED_ON_FILEID};

    @Override
    public String name() {
        return "namespace";
    }

    @Override
    public List<ScaleFigure> run(ScaleSize size, Path work, PrintStream progress) throws Exception {
        int entries = size == ScaleSize.FULL ? 1_000_000 : 20_000;
        int lookups = size == ScaleSize.FULL ? 5_000 : 500;
        InMemoryObjectStore store = new InMemoryObjectStore("scale");
        byte[] empty = new byte[0];
        for (int i = 0; i < entries; i++) {
            store.put(name("big/", i), empty);
        }
        progress.printf(Locale.ROOT, "%d objects in the in-memory store%n", entries);
        GatewayConfig c = new GatewayConfig();
        c.setStateDir(work.resolve("state").toString());
        c.getS3().setBucket("scale");
        c.getCache().setSize("64MiB");
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(0);
        c.getNfs().setAttributeTtl(Duration.ofHours(1));   // one listing for the whole run: measure serving it
        try (Gateway gw = Gateway.start(c, store, new SimpleMeterRegistry(), Clock.systemUTC());
             Nfs4Client client = Nfs4Client.connect("127.0.0.1", gw.nfsPort())) {
            byte[] dir = client.lookup("/big");
            long[] cold = new long[1];
            HeapMeter.Retained<Integer> held = HeapMeter.measure(() -> {
                long t0 = System.nanoTime();
                int n = listAll(client, dir);
                cold[0] = System.nanoTime() - t0;
                return n;
            });
            check(held.value(), entries);
            double perEntry = (double) held.bytes() / entries;
            progress.printf(Locale.ROOT, "first listing: %.1f s, %.1f bytes of heap per entry%n", cold[0] / 1e9,
                    perEntry);
            long t0 = System.nanoTime();
            check(listAll(client, dir), entries);
            double warm = (System.nanoTime() - t0) / 1e9;
            progress.printf(Locale.ROOT, "second listing: %.1f s%n", warm);
            double[] latencies = lookups(client, dir, entries, lookups);
            return List.of(
                    new ScaleFigure("namespace.readdir_seconds_1m", warm, "seconds",
                            entries + " entries, listing held: NFS encoding and the client's decoding, one connection"),
                    new ScaleFigure("namespace.readdir_cold_seconds_1m", cold[0] / 1e9, "seconds",
                            "the first listing, including " + (entries + 999) / 1000 + " LIST pages of the store"),
                    new ScaleFigure("namespace.heap_bytes_per_entry", perEntry, "bytes",
                            "heap the held listing retains per entry (names of " + name("", 0).length()
                                    + " bytes; about 38 bytes plus the name)"),
                    new ScaleFigure("namespace.lookup_p50_ms", latencies[0], "ms",
                            lookups + " LOOKUPs of random names, one at a time: a binary search of the listing"),
                    new ScaleFigure("namespace.lookup_p99_ms", latencies[1], "ms", ""));
        }
    }

    private static String name(String dir, int i) {
        return String.format(Locale.ROOT, "%ssample_%07d.jpg", dir, i);
    }

    private static void check(int listed, int entries) {
        if (listed != entries) {
            throw new IllegalStateException("listed " + listed + " entries, not " + entries);
        }
    }

    /** Reads the whole directory as the Linux client does, page after page; returns the number of entries. */
    private static int listAll(Nfs4Client client, byte[] dir) {
        long cookie = 0;
        long verifier = 0;
        int count = 0;
        while (true) {
            long c = cookie;
            long v = verifier;
            CompoundReply.Readdir page = Nfs4Client.expectOk(client.call(b -> b.putfh(dir)
                    .readdir(c, v, PAGE_BYTES, PAGE_BYTES, READDIR_ATTRS))).last().as(CompoundReply.Readdir.class);
            count += page.entries().size();
            if (page.eof()) {
                return count;
            }
            cookie = page.entries().get(page.entries().size() - 1).cookie();
            verifier = page.verifier();
        }
    }

    /** p50 and p99 of LOOKUP + GETFH of random names, in milliseconds. */
    private static double[] lookups(Nfs4Client client, byte[] dir, int entries, int count) {
        Random random = new Random(17);
        long[] nanos = new long[count];
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(name("", random.nextInt(entries)));
        }
        for (int i = 0; i < count; i++) {
            String n = names.get(i);
            long t0 = System.nanoTime();
            Nfs4Client.expectOk(client.call(b -> b.putfh(dir).lookup(n).getfh()));
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return new double[] {nanos[count / 2] / 1e6, nanos[Math.min(count - 1, count * 99 / 100)] / 1e6};
    }
}

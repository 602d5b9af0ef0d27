package io.prefetchd.benchmarks.harness;

import io.prefetchd.gateway.nfs.client.Nfs4Client;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads samples through a gateway over one NFSv4.1 connection of the project's own client ({@link Nfs4Client}): each
 * read opens the sample's file by name in its directory, READs its range and closes it, or, with
 * {@code keepOpen}, keeps every file it opened open until {@link #close()}. For one thread.
 */
final class NfsSampleReader implements Contender.SampleReader {
    private final Nfs4Client client;
    private final boolean keepOpen;
    private final Map<String, Nfs4Client.OpenFile> open = new HashMap<>();
    private final Map<String, byte[]> directories = new HashMap<>();

    private NfsSampleReader(Nfs4Client client, boolean keepOpen) {
        this.client = client;
        this.keepOpen = keepOpen;
    }

    /** Connects to the NFS server on 127.0.0.1:{@code port}. */
    static NfsSampleReader connect(int port, boolean keepOpen) {
        return new NfsSampleReader(Nfs4Client.connect("127.0.0.1", port), keepOpen);
    }

    @Override
    public byte[] read(Dataset.Sample s) {
        if (keepOpen) {
            return read(open.computeIfAbsent(s.key(), this::open), s);
        }
        Nfs4Client.OpenFile f = open(s.key());
        try {
            return read(f, s);
        } finally {
            client.closeFile(f);
        }
    }

    /**
     * OPEN by name in the object's directory, whose handle this reader looked up once (the kernel client's dentry
     * cache does the same: an open(2) in a known directory is one OPEN, with no LOOKUP).
     */
    private Nfs4Client.OpenFile open(String key) {
        int slash = key.lastIndexOf('/');
        String dir = slash < 0 ? "" : key.substring(0, slash);
        byte[] fh = directories.computeIfAbsent(dir, d -> client.lookup("/" + d));
        return client.open(fh, key.substring(slash + 1));
    }

    private byte[] read(Nfs4Client.OpenFile f, Dataset.Sample s) {
        byte[] out = new byte[s.length()];
        int got = 0;
        while (got < out.length) {
            byte[] d = client.read(f, s.offset() + got, out.length - got).data();
            if (d.length == 0) {
                throw new IllegalStateException("short READ of /" + s.key() + " at " + (s.offset() + got));
            }
            System.arraycopy(d, 0, out, got, d.length);
            got += d.length;
        }
        return out;
    }

    @Override
    public void close() {
        try {
            for (Nfs4Client.OpenFile f : open.values()) {
                client.closeFile(f);
            }
        } finally {
            client.close();
        }
    }
}

package io.prefetchd.gateway.nfs.v4;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.access.AccessControl;
import io.prefetchd.gateway.nfs.access.ExportTable;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.nfs.v4.state.NfsState;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;

import static java.util.Objects.requireNonNull;

/**
 * What operations work with: storage, handles, protocol state, attribute encoding, limits, the clock, the
 * access policy and where READDIR cookies resume.
 */
public record Nfs4Services(VirtualFileSystem fs, FileHandles handles, NfsState state, AttributeEncoder attributes,
                           NfsLimits limits, Clock clock, byte[] serverOwner, ReadObserver readObserver,
                           AccessControl access, ReaddirCookies readdirCookies) {
    private static final Logger LOG = LoggerFactory.getLogger(Nfs4Services.class);

    public Nfs4Services {
        requireNonNull(fs, "fs is null");
        requireNonNull(handles, "handles is null");
        requireNonNull(state, "state is null");
        requireNonNull(attributes, "attributes is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(clock, "clock is null");
        requireNonNull(serverOwner, "serverOwner is null");
        requireNonNull(readObserver, "readObserver is null");
        requireNonNull(access, "access is null");
        requireNonNull(readdirCookies, "readdirCookies is null");
    }

    /** With READDIR cookies resumed on {@code clock}. */
    public Nfs4Services(VirtualFileSystem fs, FileHandles handles, NfsState state, AttributeEncoder attributes,
                        NfsLimits limits, Clock clock, byte[] serverOwner, ReadObserver readObserver,
                        AccessControl access) {
        this(fs, handles, state, attributes, limits, clock, serverOwner, readObserver, access,
                new ReaddirCookies(clock));
    }

    /**
     * Tells the file system about every file whose last open for writing went (CLOSE, OPEN_DOWNGRADE, or a client
     * whose state was dropped), so its staged bytes may become an object. Called after each COMPOUND and after
     * lease expiry; a failure is logged, as the file stays staged and the file system retries it.
     */
    public void releaseClosedWriters() {
        for (Inode file : state.takeReleasedWriters()) {
            try {
                fs.closed(file);
            } catch (FsException | RuntimeException e) {
                LOG.warn("file system refused the close of /{}: {}", file.path(), e.toString());
            }
        }
    }

    /** With the default export table (every client, read-only, root squashed) and the default ownership. */
    public Nfs4Services(VirtualFileSystem fs, FileHandles handles, NfsState state, AttributeEncoder attributes,
                        NfsLimits limits, Clock clock, byte[] serverOwner, ReadObserver readObserver) {
        this(fs, handles, state, attributes, limits, clock, serverOwner, readObserver, new AccessControl(
                ExportTable.parse(ExportTable.DEFAULT), FileOwnership.DEFAULT, new SimpleMeterRegistry()));
    }
}

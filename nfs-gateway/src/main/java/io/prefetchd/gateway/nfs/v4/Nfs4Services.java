package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.v4.state.NfsState;

import java.time.Clock;

import static java.util.Objects.requireNonNull;

/** What operations work with: storage, handles, protocol state, attribute encoding, limits and the clock. */
public record Nfs4Services(VirtualFileSystem fs, FileHandles handles, NfsState state, AttributeEncoder attributes,
                           NfsLimits limits, Clock clock, byte[] serverOwner, ReadObserver readObserver) {
    public Nfs4Services {
        requireNonNull(fs, "fs is null");
        requireNonNull(handles, "handles is null");
        requireNonNull(state, "state is null");
        requireNonNull(attributes, "attributes is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(clock, "clock is null");
        requireNonNull(serverOwner, "serverOwner is null");
        requireNonNull(readObserver, "readObserver is null");
    }
}

package io.prefetchd.gateway.nfs.access;

import static java.util.Objects.requireNonNull;

/** What one admitted request may do: the export rule that admitted its client and the identity it acts as. */
public record ClientAccess(ExportRule rule, Identity identity) {
    public ClientAccess {
        requireNonNull(rule, "rule is null");
        requireNonNull(identity, "identity is null");
    }

    /** Whether the client's rule allows writes (the question every mutating operation asks). */
    public boolean readWrite() {
        return rule.readWrite();
    }
}

package io.prefetchd.gateway.nfs.access;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The export table: rules tried in order, the first whose range holds the client's address decides; a client no
 * rule holds is refused. Immutable and thread-safe.
 */
public final class ExportTable {
    /**
     * What an unconfigured gateway exports: every client, root squashed, read-write wherever the gateway takes
     * writes at all (which it does only when started with them: a read-only gateway answers NFS4ERR_ROFS to every
     * client whatever its rule).
     */
    public static final List<String> DEFAULT = List.of("* rw root-squash");

    private final List<ExportRule> rules;

    public ExportTable(List<ExportRule> rules) {
        this.rules = List.copyOf(requireNonNull(rules, "rules is null"));
    }

    /**
     * Parses one rule per entry ({@link ExportRule#parse}). Blank entries are skipped; a table with no rule would
     * refuse everyone, so it is an error.
     *
     * @throws IllegalArgumentException naming the faulty entry
     */
    public static ExportTable parse(List<String> entries) {
        requireNonNull(entries, "entries is null");
        List<ExportRule> rules = new ArrayList<>();
        for (String e : entries) {
            if (e != null && !e.isBlank()) {
                rules.add(ExportRule.parse(e));
            }
        }
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("the export table is empty: it would refuse every client "
                    + "(to export to everyone, use '*')");
        }
        return new ExportTable(rules);
    }

    /** The first rule whose range holds {@code client}, or empty when the client is refused. */
    public Optional<ExportRule> match(InetAddress client) {
        requireNonNull(client, "client is null");
        for (ExportRule r : rules) {
            if (r.clients().contains(client)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public List<ExportRule> rules() {
        return rules;
    }

    @Override
    public String toString() {
        return rules.toString();
    }
}

package io.prefetchd.gateway.nfs.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * One line of the export table: which clients it admits, read-only or read-write, and how their identities are
 * squashed. Written as {@code RANGE [ro|rw] [root-squash|all-squash|no-squash] [anon-uid=N] [anon-gid=N]}, words
 * separated by spaces; the defaults are {@code ro root-squash anon-uid=65534 anon-gid=65534}, as in exports(5).
 */
public record ExportRule(AddressRange clients, boolean readWrite, Squash squash, int anonUid, int anonGid) {
    /** nobody/nogroup on Debian and most distributions. */
    public static final int DEFAULT_ANON_ID = 65534;

    public ExportRule {
        requireNonNull(clients, "clients is null");
        requireNonNull(squash, "squash is null");
        if (anonUid < 0 || anonGid < 0) {
            throw new IllegalArgumentException("anonymous uid/gid must be at least 0");
        }
    }

    /** @throws IllegalArgumentException naming the entry and the word that is wrong */
    public static ExportRule parse(String entry) {
        requireNonNull(entry, "entry is null");
        String[] words = entry.trim().split("\\s+");
        if (words.length == 0 || words[0].isEmpty()) {
            throw new IllegalArgumentException("an empty export rule");
        }
        AddressRange range;
        try {
            range = AddressRange.parse(words[0]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("export rule '" + entry.trim() + "': " + e.getMessage(), e);
        }
        boolean rw = false;
        Squash squash = Squash.ROOT;
        int anonUid = DEFAULT_ANON_ID;
        int anonGid = DEFAULT_ANON_ID;
        for (int i = 1; i < words.length; i++) {
            String w = words[i].toLowerCase(Locale.ROOT).replace('_', '-');
            switch (w) {
                case "ro" -> rw = false;
                case "rw" -> rw = true;
                case "root-squash" -> squash = Squash.ROOT;
                case "all-squash" -> squash = Squash.ALL;
                case "no-squash", "no-root-squash" -> squash = Squash.NONE;
                default -> {
                    if (w.startsWith("anon-uid=") || w.startsWith("anonuid=")) {
                        anonUid = id(entry, w);
                    } else if (w.startsWith("anon-gid=") || w.startsWith("anongid=")) {
                        anonGid = id(entry, w);
                    } else {
                        throw new IllegalArgumentException("export rule '" + entry.trim() + "': unknown option '"
                                + words[i] + "' (ro, rw, root-squash, all-squash, no-squash, anon-uid=N, anon-gid=N)");
                    }
                }
            }
        }
        return new ExportRule(range, rw, squash, anonUid, anonGid);
    }

    private static int id(String entry, String word) {
        String value = word.substring(word.indexOf('=') + 1);
        try {
            int id = Integer.parseInt(value);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("export rule '" + entry.trim() + "': '" + word
                + "' needs a number from 0 to 2147483647");
    }

    /**
     * The identity a request presenting {@code uid}/{@code gid}/{@code groups} acts as under this rule. A caller
     * without AUTH_SYS (AUTH_NONE: uid -1) is anonymous whatever the squash.
     */
    public Identity identity(int uid, int gid, List<Integer> groups) {
        if (squash == Squash.ALL || uid < 0) {
            return new Identity(anonUid, anonGid, List.of());
        }
        if (squash == Squash.NONE) {
            return new Identity(uid, gid, groups);
        }
        List<Integer> kept = new ArrayList<>(groups.size());
        for (int g : groups) {
            kept.add(g == Identity.ROOT ? anonGid : g);
        }
        return new Identity(uid == Identity.ROOT ? anonUid : uid, gid == Identity.ROOT ? anonGid : gid, kept);
    }

    @Override
    public String toString() {
        return clients + (readWrite ? " rw " : " ro ") + switch (squash) {
            case NONE -> "no-squash";
            case ROOT -> "root-squash";
            case ALL -> "all-squash";
        } + " anon-uid=" + anonUid + " anon-gid=" + anonGid;
    }
}

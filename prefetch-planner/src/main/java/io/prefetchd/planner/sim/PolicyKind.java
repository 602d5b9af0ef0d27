package io.prefetchd.planner.sim;

import java.util.Locale;

/** The policies the simulator runs side by side. */
public enum PolicyKind {
    /** Least recently used. */
    LRU("lru"),
    /** W-TinyLFU: Caffeine itself. */
    W_TINYLFU("w-tinylfu"),
    /** Belady's MIN with bypass: the demand-caching bound. */
    OPT("opt"),
    /** Admit until full, never evict (CoorDL's MinIO). */
    PIN("pin-c"),
    /** Our planner, with each epoch's order published ahead. */
    HINTS("ours-hints"),
    /** Our planner, learning from the reads alone. */
    LEARNED("ours-learned");

    private final String label;

    PolicyKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Parses a label ({@code lru}, {@code w-tinylfu}, ...) or an enum name, case-insensitively. */
    public static PolicyKind parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (PolicyKind p : values()) {
            if (p.label.equals(t) || p.name().toLowerCase(Locale.ROOT).equals(t.replace('-', '_'))) {
                return p;
            }
        }
        if (t.equals("pin") || t.equals("tinylfu") || t.equals("hints") || t.equals("learned")) {
            return parse(switch (t) {
                case "pin" -> "pin-c";
                case "tinylfu" -> "w-tinylfu";
                case "hints" -> "ours-hints";
                default -> "ours-learned";
            });
        }
        throw new IllegalArgumentException("unknown policy '" + text + "'; expected one of lru, w-tinylfu, opt, "
                + "pin-c, ours-hints, ours-learned");
    }
}

package io.prefetchd.benchmarks.scale;

import static java.util.Objects.requireNonNull;

/**
 * One measured figure of the scale benchmark.
 *
 * @param name  stable name, used as the key in {@code scale.json} (for example {@code cache.heap_bytes_per_block})
 * @param value the measured value
 * @param unit  what the value counts ({@code bytes}, {@code seconds}, {@code ms}, ...)
 * @param note  what bounds or qualifies it, printed beside the table row; may be empty
 */
public record ScaleFigure(String name, double value, String unit, String note) {
    public ScaleFigure {
        requireNonNull(name, "name is null");
        requireNonNull(unit, "unit is null");
        requireNonNull(note, "note is null");
    }
}

package io.prefetchd.benchmarks.scale;

import java.nio.file.Path;
import java.util.List;

/** One part of the scale benchmark: sets up what it measures, measures it, and cleans up after itself. */
public interface ScaleSection {
    /** Short name, used by {@code --only} and as the prefix of the figures' names. */
    String name();

    /**
     * Runs the measurement.
     *
     * @param size  {@link ScaleSize#QUICK} for a smoke run (seconds, as in tests), {@link ScaleSize#FULL} for the
     *              sizes the closing figures are stated at
     * @param work  a scratch folder of this section's own, deleted after the run
     * @param progress where to print progress lines for long steps
     */
    List<ScaleFigure> run(ScaleSize size, Path work, java.io.PrintStream progress) throws Exception;
}

package io.prefetchd.planner;

import io.prefetchd.formats.DatasetIndex;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The dataset as the planner sees it: sample {@code i} (0-based, dense) is read as the listed extents, in order.
 *
 * <p>This is the planner's own narrow view of a format index. A {@link DatasetIndex} maps onto it one to one
 * ({@link #of(DatasetIndex)}): sample {@code i} there to the same list of {@code (object, offset, length)} here (a
 * WebDataset sample's tar members, a Parquet row group's column chunks, a whole file for file-per-sample datasets).
 *
 * <p>Extents of one object must be identical or disjoint: two samples may share an extent (rows of one Parquet row
 * group read the same column chunks), but partly overlapping ranges are rejected when a planner is built, naming
 * both ranges and the sample.
 */
public interface SampleExtents {

    /** Number of samples; sample ids are {@code 0 .. sampleCount()-1}. */
    int sampleCount();

    /**
     * The extents sample {@code sample} is read as. Empty for a sample with no bytes (a zero-byte file): reading it
     * needs no fetch, and a planner counts it as read the moment it is read.
     */
    List<Extent> extentsOf(int sample);

    /** Receives one extent of a sample; {@code object} is the same string for every extent of one object. */
    @FunctionalInterface
    interface ExtentVisitor {
        void accept(String object, long offset, long length);
    }

    /**
     * Hands the sample's extents to {@code visitor}, in {@link #extentsOf} order. A planner is built through this,
     * so a dataset that overrides it (the gateway's block view of a mapped index) is planned without an
     * {@link Extent} per sample ever being made. A planner over a dataset read front to back keeps no copy of the
     * extents and calls this again, from its own thread, whenever it needs an extent's offset or length: the
     * answers must never change, and should be cheap (a few lookups in a mapped index).
     */
    default void forEachExtent(int sample, ExtentVisitor visitor) {
        List<Extent> list = extentsOf(sample);
        if (list == null) {
            throw new IllegalArgumentException("sample " + sample + " has a null extent list");
        }
        for (Extent e : list) {
            visitor.accept(e.object(), e.offset(), e.length());
        }
    }

    /**
     * A format index as it is, its objects named by their keys: extents are read from the index when the planner
     * asks, never copied, so a mapped index is planned without a per-sample copy on the heap.
     */
    static SampleExtents of(DatasetIndex index) {
        return new IndexExtents(index);
    }

    /** An immutable dataset from an explicit list (copied). */
    static SampleExtents of(List<List<Extent>> samples) {
        requireNonNull(samples, "samples is null");
        List<List<Extent>> copy = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            copy.add(List.copyOf(requireNonNull(samples.get(i), "sample " + i + " is null")));
        }
        List<List<Extent>> frozen = List.copyOf(copy);
        return new SampleExtents() {
            @Override
            public int sampleCount() {
                return frozen.size();
            }

            @Override
            public List<Extent> extentsOf(int sample) {
                return frozen.get(sample);
            }
        };
    }
}

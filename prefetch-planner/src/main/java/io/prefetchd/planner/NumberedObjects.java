package io.prefetchd.planner;

/**
 * A dataset that numbers its own objects, so that a planner can hold object numbers instead of names: a planner
 * over it keeps nothing per object for a dataset read front to back (a file-per-sample folder of 100 M files costs
 * no name table) and asks for names only when it hands out a fetch or is told of an eviction.
 *
 * <p>The numbers are dense, {@code 0 .. objectCount() - 1}; {@link #forEachNumberedExtent} gives the
 * same extents as {@link #forEachExtent(int, SampleExtents.ExtentVisitor)}, in the same order, each with the number
 * of the object that {@link #objectName} names. Names and numbers never change. A mapped format index answers these
 * from its file: a name is read back, and a name is found by a binary search over the sorted keys.
 */
public interface NumberedObjects extends SampleExtents {

    /** Number of objects, including those no sample reads (zero-byte files). */
    int objectCount();

    /** The name extents of object {@code object} carry: what {@link SampleExtents.ExtentVisitor} is given. */
    String objectName(int object);

    /** The number of the object named {@code name}, or -1 when no object of this dataset has that name. */
    int objectNumber(String name);

    /** Receives one extent of a sample with its object's number. */
    @FunctionalInterface
    interface NumberedVisitor {
        void accept(int object, long offset, long length);
    }

    /** Hands the sample's extents to {@code visitor}, numbered, in {@link #extentsOf} order. */
    void forEachNumberedExtent(int sample, NumberedVisitor visitor);
}

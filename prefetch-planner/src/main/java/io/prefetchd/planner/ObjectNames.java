package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Object names and numbers for the {@link OrderedExtentTable}: the dataset's own ({@link NumberedObjects}, nothing held
 * per object), or a listing in order of first use (a string and a map entry an object) for datasets without numbers.
 */
interface ObjectNames {
    int count();

    String name(int object);

    /** The number of {@code name}, or -1. */
    int number(String name);

    /** The dataset's own numbering. */
    static ObjectNames of(NumberedObjects dataset) {
        return new DatasetNames(dataset);
    }

    /** The dataset's own numbering: nothing held per object. */
    record DatasetNames(NumberedObjects dataset) implements ObjectNames {
        @Override
        public int count() {
            return dataset.objectCount();
        }

        @Override
        public String name(int object) {
            return dataset.objectName(object);
        }

        @Override
        public int number(String name) {
            return dataset.objectNumber(name);
        }
    }

    /** Names listed as they are first met, for datasets without numbers. */
    record ListedNames(String[] names, Map<String, Integer> ids) implements ObjectNames {
        @Override
        public int count() {
            return names.length;
        }

        @Override
        public String name(int object) {
            return names[object];
        }

        @Override
        public int number(String name) {
            Integer o = ids.get(name);
            return o == null ? -1 : o;
        }
    }

    /** Numbers names by first use while a dataset without numbers is scanned; confined to one scan. */
    final class Listing {
        private final Map<String, Integer> ids = new HashMap<>();
        private final List<String> names = new ArrayList<>();

        /** The name's number, or -1 for a null name (the general table names the error). */
        int number(@Nullable String name) {
            if (name == null) {
                return -1;
            }
            Integer o = ids.get(name);
            if (o == null) {
                o = names.size();
                ids.put(name, o);
                names.add(name);
            }
            return o;
        }

        ObjectNames names() {
            return new ListedNames(names.toArray(new String[0]), ids);
        }
    }
}

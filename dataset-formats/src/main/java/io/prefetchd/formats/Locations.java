package io.prefetchd.formats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** How a spec's location turns into objects; shared by the formats. */
final class Locations {
    private Locations() {
    }

    /** {@code ""} stays empty, anything else names a folder and gets a trailing {@code /}. */
    static String folderPrefix(String location) {
        return location.isEmpty() || location.endsWith("/") ? location : location + "/";
    }

    /**
     * The single object {@code location} names when it ends with {@code suffix} and exists; else every object
     * under the folder {@code location} whose name ends with {@code suffix} and that is not hidden, sorted by
     * key. Hidden means a path component below the folder starting with {@code .} or {@code _} (as pyarrow's
     * dataset discovery, which skips {@code _SUCCESS}, {@code _temporary/} and {@code .crc} files).
     */
    static List<ObjectRef> fileOrFolder(RangeSource source, String location, String suffix) throws IOException {
        if (location.endsWith(suffix)) {
            Optional<ObjectRef> one = source.head(location);
            if (one.isPresent()) {
                return List.of(one.get());
            }
        }
        String prefix = folderPrefix(location);
        return folder(source, prefix, o -> o.key().endsWith(suffix) && !hidden(o.key(), prefix, "._"));
    }

    static List<ObjectRef> folder(RangeSource source, String prefix, Predicate<ObjectRef> keep) throws IOException {
        List<ObjectRef> out = new ArrayList<>();
        for (ObjectRef o : source.list(prefix)) {
            if (!o.key().endsWith("/") && keep.test(o)) {
                out.add(o);
            }
        }
        out.sort((a, b) -> KeyOrder.INSTANCE.compare(a.key(), b.key()));
        return out;
    }

    /** True when a path component of {@code key} after {@code prefix} starts with one of {@code marks}. */
    static boolean hidden(String key, String prefix, String marks) {
        String rel = key.substring(prefix.length());
        for (String part : rel.split("/", -1)) {
            if (!part.isEmpty() && marks.indexOf(part.charAt(0)) >= 0) {
                return true;
            }
        }
        return false;
    }
}

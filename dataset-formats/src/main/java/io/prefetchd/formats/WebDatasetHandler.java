package io.prefetchd.formats;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * WebDataset shards: tar files whose consecutive members sharing a key form one sample.
 *
 * <p>Grouping follows the WebDataset reader ({@code tar_file_expander} + {@code group_by_keys}): only regular
 * files count; a member's key is its name up to the first dot of the basename and the rest is its extension
 * (names whose basename has no dot or starts with one are skipped, as are top-level {@code __*__} meta
 * files); a new sample starts when the key changes or when an extension (compared in lower case) repeats.
 * Because a sample's members are consecutive, its bytes are one extent: from the first header block of its
 * first member (pax and long-name headers included) to the last data byte of its last member.
 */
final class WebDatasetHandler implements FormatHandler<WebDatasetHandler.Shard> {

    /** One shard's samples; offsets are within the shard. */
    record Shard(ObjectRef object, long[] starts, long[] ends, StringColumn keys) implements FormatHandler.Part {
    }

    @Override
    public List<ObjectRef> resolve(RangeSource source, DatasetSpec spec, List<ObjectFailure> failures)
            throws IOException {
        String location = spec.location();
        if (!BracePattern.isPattern(location)) {
            return Locations.fileOrFolder(source, location, ".tar");
        }
        List<String> names;
        try {
            names = BracePattern.expand(location);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad shard pattern: " + e.getMessage(), e);
        }
        // one listing of the pattern's literal prefix instead of a HEAD per shard
        Map<String, ObjectRef> listed = new HashMap<>();
        for (ObjectRef o : source.list(BracePattern.literalPrefix(location))) {
            listed.put(o.key(), o);
        }
        List<ObjectRef> out = new ArrayList<>(names.size());
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            ObjectRef o = listed.get(n);
            if (o == null) {
                failures.add(new ObjectFailure(n, -1, n + ": no such shard (named by " + location + ")"));
            } else if (seen.add(n)) {
                out.add(o);
            }
        }
        return out;
    }

    @Override
    public Shard scan(CountingSource source, ObjectRef object, DatasetSpec spec) throws IOException {
        Grouper g = new Grouper();
        try (InputStream in = source.stream(object)) {
            TarScanner scanner = new TarScanner(object.key(), object.size(), in);
            try {
                scanner.scan(g);
            } finally {
                source.metadataBytes.add(scanner.metadataBytes());
            }
        }
        g.close();
        return new Shard(object, g.starts.toArray(), g.ends.toArray(), g.keys.build());
    }

    /** Groups members into samples as WebDataset does; see the class comment. */
    static final class Grouper implements TarScanner.Visitor {
        final LongList starts = new LongList();
        final LongList ends = new LongList();
        final StringColumn.Builder keys = new StringColumn.Builder();
        private @Nullable String currentKey;
        private final Set<String> currentExtensions = new HashSet<>();
        private long currentStart;
        private long currentEnd;

        @Override
        public void entry(String name, char type, long start, long dataStart, long size) {
            if (type != '0' && type != '\0' && type != '7') {
                return;
            }
            if (name.indexOf('/') < 0 && name.startsWith("__") && name.endsWith("__")) {
                return;
            }
            int slash = name.lastIndexOf('/');
            int dot = name.indexOf('.', slash + 1);
            if (dot <= slash + 1) {
                return; // no dot in the basename, or it starts with one: not a sample member
            }
            String key = name.substring(0, dot);
            String ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
            if (currentKey == null || !currentKey.equals(key) || currentExtensions.contains(ext)) {
                close();
                currentKey = key;
                currentStart = start;
            }
            currentExtensions.add(ext);
            currentEnd = dataStart + size;
        }

        void close() {
            if (currentKey != null) {
                starts.add(currentStart);
                ends.add(currentEnd);
                keys.add(currentKey);
                currentKey = null;
                currentExtensions.clear();
            }
        }
    }

    @Override
    public DatasetIndex assemble(DatasetSpec spec, List<Shard> parts) {
        long n = 0;
        for (Shard s : parts) {
            n += s.starts.length;
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("more than 2^31 WebDataset samples in one index: " + n);
        }
        long[] starts = new long[(int) n];
        long[] ends = new long[(int) n];
        int[] first = new int[parts.size() + 1];
        List<ObjectRef> objects = new ArrayList<>(parts.size());
        List<StringColumn> keys = new ArrayList<>(parts.size());
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            Shard s = parts.get(i);
            first[i] = at;
            System.arraycopy(s.starts, 0, starts, at, s.starts.length);
            System.arraycopy(s.ends, 0, ends, at, s.ends.length);
            at += s.starts.length;
            objects.add(s.object);
            keys.add(s.keys);
        }
        first[parts.size()] = at;
        return new WebDatasetIndex(spec, ObjectTable.of(objects), first, starts, ends, StringColumn.concat(keys));
    }

    @Override
    public List<Shard> parts(DatasetIndex index) {
        WebDatasetIndex w = (WebDatasetIndex) index;
        List<Shard> out = new ArrayList<>(w.objects.size());
        for (int i = 0; i < w.objects.size(); i++) {
            int from = w.firstSample.get(i);
            int to = w.firstSample.get(i + 1);
            long[] starts = new long[to - from];
            long[] ends = new long[to - from];
            for (int s = from; s < to; s++) {
                starts[s - from] = w.starts.get(s);
                ends[s - from] = w.ends.get(s);
            }
            out.add(new Shard(w.objects.ref(i), starts, ends, w.keys.slice(from, to)));
        }
        return out;
    }
}

package io.prefetchd.formats.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import io.prefetchd.formats.BuildStats;
import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.Format;
import io.prefetchd.formats.IndexBuild;
import io.prefetchd.formats.IndexStore;
import io.prefetchd.formats.ObjectFailure;
import io.prefetchd.formats.ObjectRef;
import io.prefetchd.formats.RangeSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code prefetchd index <source> --format parquet|webdataset|files [--json] [--columns a,b]}.
 *
 * <p>A local source is a folder, one file, or (WebDataset) a path with a brace pattern in its last part. An
 * {@code s3://bucket/prefix} source is handed to the {@code remote} factory given to the constructor, which
 * returns a {@link RangeSource} over the bucket; the URI's path without its leading {@code /} is the location
 * in it. The gateway registers the command as:
 *
 * <pre>{@code
 * commandLine.addSubcommand("index", new IndexCommand(uri -> new ObjectStoreRangeSource(storeFor(uri)), clock));
 * }</pre>
 *
 * <p>Exit status: 0 when every object was indexed, 3 when some were left out (listed on stderr; the index
 * of the rest is still printed), 1 when nothing could be indexed (bad source, listing failed), 2 for usage
 * errors. With {@code --json} the JSON document goes to stdout and the summary to stderr.
 */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Index a dataset: which bytes each sample is (Parquet rows, WebDataset samples, files).",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every object indexed", "1:failed", "2:bad usage",
            "3:indexed, but some objects could not be read (listed on stderr)"})
public final class IndexCommand implements Callable<Integer> {
    /** Exit status when some objects were left out of the index. */
    public static final int PARTIAL = 3;

    private final @Nullable Function<URI, RangeSource> remote;
    private final Clock clock;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<source>",
            description = "A local folder or file, a brace pattern like data/train-{000000..000099}.tar, "
                    + "or s3://bucket/prefix.")
    String source;

    @Option(names = "--format", required = true, paramLabel = "parquet|webdataset|files",
            converter = FormatConverter.class, description = "Dataset layout.")
    Format format;

    @Option(names = "--json", description = "Print every sample's extents as JSON on stdout.")
    boolean json;

    @Option(names = "--columns", split = ",", paramLabel = "a,b",
            description = "Parquet: index only these columns (dotted paths; a group selects its leaves).")
    List<String> columns = List.of();

    @Option(names = "--layout", paramLabel = "sorted|imagefolder", converter = LayoutConverter.class,
            description = "Files: sample order, a plain sorted listing (default) or ImageFolder's.")
    FileLayout layout = FileLayout.SORTED;

    @Option(names = "--parallelism", paramLabel = "N", description = "Objects read at once (default 4).")
    int parallelism = 4;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep the index in DIR: reload it, rescanning only objects whose ETag changed.")
    @Nullable Path stateDir;

    /** A command for local sources only, timed by the system clock. */
    public IndexCommand() {
        this(null, Clock.systemUTC());
    }

    /**
     * @param remote makes a {@link RangeSource} for an {@code s3://bucket/...} source, or {@code null} when
     *     only local sources are supported
     * @param clock times the build
     */
    public IndexCommand(@Nullable Function<URI, RangeSource> remote, Clock clock) {
        this.remote = remote;
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Runs the command standalone on local sources: {@code java -cp ... io.prefetchd.formats.cli.IndexCommand}. */
    public static void main(String[] args) {
        System.exit(run(new IndexCommand(), args, new PrintWriter(System.out), new PrintWriter(System.err)));
    }

    /** Runs {@code command} with {@code args}; an I/O failure ends with one line on stderr and status 1. */
    public static int run(IndexCommand command, String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(command);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("prefetchd index: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            cmd.getErr().flush();
            return 1;
        });
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (parallelism < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallelism must be at least 1");
        }
        if (!columns.isEmpty() && format != Format.PARQUET) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--columns applies to --format parquet");
        }
        Resolved r = resolve();
        DatasetSpec dataset = new DatasetSpec(format, r.location, columns, layout);
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, task -> {
            Thread t = new Thread(task, "prefetchd-index");
            t.setDaemon(true);
            return t;
        });
        IndexBuild build;
        try {
            DatasetIndexer indexer = DatasetIndexer.create(r.source, pool, parallelism, clock);
            build = stateDir == null ? indexer.build(dataset) : indexer.loadOrBuild(dataset, IndexStore.inFolder(stateDir));
        } finally {
            pool.shutdownNow();
        }
        if (json) {
            JsonReport.write(out, source, build);
            out.flush();
        }
        PrintWriter summaryTo = json ? err : out;
        Summary.print(summaryTo, source, build);
        summaryTo.flush();
        for (ObjectFailure f : build.failures()) {
            err.println("prefetchd index: left out " + f.message());
        }
        err.flush();
        if (build.index().objects().isEmpty() && !build.failures().isEmpty()) {
            return 1;
        }
        return build.complete() ? 0 : PARTIAL;
    }

    private record Resolved(RangeSource source, String location) {
    }

    private Resolved resolve() {
        if (source.startsWith("s3://")) {
            if (remote == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "s3:// sources are indexed through the gateway's S3 settings; this command was started "
                                + "without them (index a local folder, or run it as 'prefetchd index')");
            }
            URI uri = URI.create(source);
            String path = uri.getPath() == null ? "" : uri.getPath();
            return new Resolved(remote.apply(uri), path.startsWith("/") ? path.substring(1) : path);
        }
        int brace = source.indexOf('{');
        if (brace >= 0) {
            int slash = source.lastIndexOf('/', brace);
            Path root = Path.of(slash < 0 ? "." : source.substring(0, Math.max(slash, 1)));
            if (!Files.isDirectory(root)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no such folder: " + root);
            }
            return new Resolved(RangeSource.localFolder(root), source.substring(slash + 1));
        }
        Path p = Path.of(source);
        if (Files.isDirectory(p)) {
            return new Resolved(RangeSource.localFolder(p), "");
        }
        if (Files.isRegularFile(p)) {
            Path parent = requireNonNull(p.toAbsolutePath().getParent(), "a file has a parent folder");
            return new Resolved(RangeSource.localFolder(parent), p.getFileName().toString());
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "no such file or folder: " + source);
    }

    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            for (Format f : Format.values()) {
                if (f.cliName().equals(value.toLowerCase(Locale.ROOT))) {
                    return f;
                }
            }
            throw new CommandLine.TypeConversionException("expected parquet, webdataset or files, got '" + value + "'");
        }
    }

    static final class LayoutConverter implements CommandLine.ITypeConverter<FileLayout> {
        @Override
        public FileLayout convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "sorted" -> FileLayout.SORTED;
                case "imagefolder", "image-folder", "image_folder" -> FileLayout.IMAGE_FOLDER;
                default -> throw new CommandLine.TypeConversionException(
                        "expected sorted or imagefolder, got '" + value + "'");
            };
        }
    }

    /** The human summary. */
    static final class Summary {
        /** Beyond this many samples the size distribution is taken over an even stride of them. */
        static final int MAX_SIZES = 10_000_000;

        private Summary() {
        }

        static void print(PrintWriter w, String source, IndexBuild build) {
            DatasetIndex index = build.index();
            BuildStats s = build.stats();
            long n = index.sampleCount();
            w.printf(Locale.ROOT, "dataset     %s (%s)%n", source, index.spec().format().cliName());
            w.printf(Locale.ROOT, "objects     %,d indexed, %,d left out (%,d scanned, %,d reused)%n",
                    index.objects().size(), build.failures().size(), s.objectsScanned(), s.objectsReused());
            w.printf(Locale.ROOT, "samples     %,d%n", n);
            w.printf(Locale.ROOT, "bytes       %s in the indexed objects%n", bytes(index.totalBytes()));
            if (n > 0) {
                long stride = Math.max(1, (n + MAX_SIZES - 1) / MAX_SIZES);
                long[] sizes = new long[(int) ((n + stride - 1) / stride)];
                long sum = 0;
                for (int i = 0; i < sizes.length; i++) {
                    sizes[i] = index.sampleBytes(i * stride);
                    sum += sizes[i];
                }
                Arrays.sort(sizes);
                w.printf(Locale.ROOT, "sample size min %s  p50 %s  p90 %s  p99 %s  max %s  mean %s%s%n",
                        bytes(sizes[0]), bytes(pct(sizes, 50)), bytes(pct(sizes, 90)), bytes(pct(sizes, 99)),
                        bytes(sizes[sizes.length - 1]), bytes(sum / sizes.length),
                        stride > 1 ? " (every " + stride + "th sample)" : "");
            }
            w.printf(Locale.ROOT, "metadata    %s read in %,d requests (%s requested in all)%n",
                    bytes(s.metadataBytesRead()), s.requests(), bytes(s.bytesRequested()));
            w.printf(Locale.ROOT, "time        %.3f s%n", s.elapsed().toNanos() / 1e9);
            for (String note : build.notes()) {
                w.printf(Locale.ROOT, "note        %s%n", note);
            }
        }

        private static long pct(long[] sorted, int p) {
            int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100.0 * sorted.length) - 1));
            return sorted[i];
        }

        static String bytes(long b) {
            if (b < 1024) {
                return b + " B";
            }
            String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
            double v = b;
            int u = -1;
            while (v >= 1024 && u < units.length - 1) {
                v /= 1024;
                u++;
            }
            return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
        }
    }

    /**
     * The {@code --json} document, streamed as it goes (a million samples need not be held as text): compact, with
     * each element of the top-level arrays (objects, failures, samples) on a line of its own.
     */
    static final class JsonReport {
        private static final JsonFactory FACTORY = JsonFactory.builder()
                .disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();

        private JsonReport() {
        }

        static void write(PrintWriter w, String source, IndexBuild build) {
            DatasetIndex index = build.index();
            BuildStats s = build.stats();
            try (JsonGenerator g = FACTORY.createGenerator(w).setPrettyPrinter(new LinePerElement())) {
                g.writeStartObject();
                g.writeStringField("source", source);
                g.writeStringField("format", index.spec().format().cliName());
                g.writeStringField("location", index.spec().location());
                g.writeNumberField("sampleCount", index.sampleCount());
                g.writeNumberField("totalBytes", index.totalBytes());
                g.writeObjectFieldStart("stats");
                g.writeNumberField("objectsScanned", s.objectsScanned());
                g.writeNumberField("objectsReused", s.objectsReused());
                g.writeNumberField("requests", s.requests());
                g.writeNumberField("metadataBytesRead", s.metadataBytesRead());
                g.writeNumberField("bytesRequested", s.bytesRequested());
                g.writeNumberField("elapsedNanos", s.elapsed().toNanos());
                g.writeEndObject();
                List<ObjectRef> objects = index.objects();
                String[] keys = new String[objects.size()];
                g.writeArrayFieldStart("objects");
                for (int i = 0; i < objects.size(); i++) {
                    ObjectRef o = objects.get(i);
                    keys[i] = o.key();
                    g.writeStartObject();
                    g.writeStringField("key", o.key());
                    g.writeNumberField("size", o.size());
                    g.writeStringField("etag", o.etag());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("failures");
                for (ObjectFailure f : build.failures()) {
                    g.writeStartObject();
                    g.writeStringField("object", f.object());
                    g.writeNumberField("offset", f.offset());
                    g.writeStringField("message", f.message());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("samples");
                for (long i = 0; i < index.sampleCount(); i++) {
                    g.writeStartObject();
                    g.writeNumberField("sample", i);
                    g.writeStringField("key", index.key(i));
                    g.writeArrayFieldStart("extents");
                    index.forEachExtent(i, (object, offset, length) -> extent(g, keys[object], offset, length));
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            w.println();
        }

        private static void extent(JsonGenerator g, String object, long offset, long length) {
            try {
                g.writeStartObject();
                g.writeStringField("object", object);
                g.writeNumberField("offset", offset);
                g.writeNumberField("length", length);
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Compact JSON, but a line break before each element of an array that is a field of the root object. */
        private static final class LinePerElement extends MinimalPrettyPrinter {
            @Override
            public void beforeArrayValues(JsonGenerator g) throws IOException {
                if (topLevel(g)) {
                    g.writeRaw('\n');
                }
            }

            @Override
            public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
                g.writeRaw(topLevel(g) ? ",\n" : ",");
            }

            private static boolean topLevel(JsonGenerator g) {
                JsonStreamContext object = g.getOutputContext().getParent();
                return object != null && object.getParent() != null && object.getParent().inRoot();
            }
        }
    }
}

package io.prefetchd.tracer.cli;

import io.prefetchd.tracer.EpochReads;
import io.prefetchd.tracer.EpochTrace;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.ReadRecord;
import io.prefetchd.tracer.TraceStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/**
 * {@code trace ls | show | export}: the per-epoch read traces for people. Exit status 0 on success, 1 when a
 * trace cannot be found or read (one line on stderr), 2 for a usage error.
 *
 * <p>Mount it as a subcommand ({@code subcommands = TraceCommand.class}) or run {@link #main}. The state folder
 * comes from {@code --state-dir} (before or after the subcommand), default {@code prefetchd-state}, the
 * gateway's default.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "List, show and export the per-epoch read traces (Arrow IPC files under <state-dir>/traces).",
        subcommands = {TraceCommand.Ls.class, TraceCommand.Show.class, TraceCommand.Export.class,
                CommandLine.HelpCommand.class})
public final class TraceCommand implements Runnable {
    static final DateTimeFormatter SHOW_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    static final DateTimeFormatter CSV_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    @Option(names = "--state-dir", scope = ScopeType.INHERIT, paramLabel = "DIR", defaultValue = "prefetchd-state",
            description = "The gateway's state folder (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: ls, show or export");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(run(args, out, err));
    }

    /** Runs {@code trace} with these arguments; returns the exit status. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new TraceCommand());
        cl.setOut(out);
        cl.setErr(err);
        int status = cl.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    /** Common to the subcommands: the store, and turning I/O failures into exit status 1. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        TraceCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        TraceStore store() {
            return TraceStore.open(parent.stateDir);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() {
            try {
                execute();
                out().flush();
                return 0;
            } catch (NoSuchFileException e) {
                fail(e.getReason() == null ? "no such file: " + e.getFile() : e.getFile() + ": " + e.getReason());
            } catch (IOException e) {
                fail(e.getMessage());
            } catch (UncheckedIOException e) {
                fail(requireNonNull(e.getCause(), "an UncheckedIOException has a cause").getMessage());
            } catch (CommandLine.ParameterException e) {
                throw e;
            } catch (RuntimeException e) {
                fail(e.getMessage() == null ? e.toString() : e.getMessage());
            }
            return 1;
        }

        private void fail(@Nullable String message) {
            out().flush();
            spec.commandLine().getErr().println("prefetchd trace: " + message);
            spec.commandLine().getErr().flush();
        }

        abstract void execute() throws IOException;
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "List the epochs: reads, bytes, hit ratio, size on disk, whether each is complete "
                    + "(an epoch still being written, or cut by a crash, shows as 'open/cut'), and the dataset's "
                    + "name as the gateway gave it (its path in the export).")
    static final class Ls extends Sub {
        @Override
        void execute() throws IOException {
            TraceStore store = store();
            List<EpochTrace> epochs = store.epochs();
            if (epochs.isEmpty()) {
                out().println("no traces under " + store.tracesDir());
                return;
            }
            Table t = new Table("EPOCH", "FILES", "READS", "BYTES READ", "HITS", "S3 WAIT", "SIZE", "STATE", "DATASET");
            for (EpochTrace e : epochs) {
                Totals tot = new Totals();
                boolean truncated;
                try (EpochReads reads = store.reads(e)) {
                    reads.forEachRemaining(tot::add);
                    truncated = reads.truncated();
                }
                t.row(e.id(), Integer.toString(e.parts().size()), Format.count(tot.reads), Format.bytes(tot.bytes),
                        tot.reads == 0 ? "-" : Format.percent(tot.hits(), tot.reads), Format.nanos(tot.waitNanos),
                        Format.bytes(e.sizeBytes()), truncated ? "open/cut" : "complete",
                        tot.dataset == null ? e.dataset() : tot.dataset);
            }
            t.print(out());
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Summarise one epoch and print its first reads.")
    static final class Show extends Sub {
        @Parameters(index = "0", paramLabel = "EPOCH",
                description = "<dataset>/<job>/<n> as 'trace ls' prints it, or the path of an .arrow file.")
        String epoch;

        @Option(names = "--head", paramLabel = "N", defaultValue = "20",
                description = "How many reads to print (default: ${DEFAULT-VALUE}; 0 for the summary only).")
        int head;

        @Override
        void execute() throws IOException {
            if (head < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--head must not be negative");
            }
            TraceStore store = store();
            EpochTrace e = store.resolve(epoch);
            Totals tot = new Totals();
            List<ReadRecord> first = new ArrayList<>();
            boolean truncated;
            try (EpochReads reads = store.reads(e)) {
                while (reads.hasNext()) {
                    ReadRecord r = reads.next();
                    tot.add(r);
                    if (first.size() < head) {
                        first.add(r);
                    }
                }
                truncated = reads.truncated();
            }
            PrintWriter out = out();
            out.println("epoch     " + e.id() + (tot.reads > 0 ? "   (dataset '" + tot.dataset + "', job '"
                    + tot.job + "', epoch " + tot.epoch + ")" : ""));
            for (var p : e.parts()) {
                out.println("file      " + p.path() + "  " + Format.bytes(p.sizeBytes()));
            }
            out.println("state     " + (truncated ? "open or cut (no footer): read up to its last complete batch"
                    : "complete"));
            out.println("reads     " + Format.count(tot.reads) + "   bytes " + Format.bytes(tot.bytes) + "   objects "
                    + Format.count(tot.objects.size()) + "   clients " + Format.count(tot.clients.size()));
            if (tot.reads > 0) {
                out.println("time      " + SHOW_TIME.format(instant(tot.first)) + " .. "
                        + SHOW_TIME.format(instant(tot.last)) + "  (" + Format.nanos(tot.last - tot.first) + ")");
                StringBuilder b = new StringBuilder("outcomes ");
                for (Outcome o : Outcome.values()) {
                    long n = tot.byOutcome.getOrDefault(o, 0L);
                    b.append(' ').append(o.name()).append(' ').append(Format.count(n)).append(" (")
                            .append(Format.percent(n, tot.reads)).append(")  ");
                }
                out.println(b.toString().stripTrailing());
                out.println("s3 wait   " + Format.nanos(tot.waitNanos) + " in total");
            }
            if (head > 0 && tot.reads > 0) {
                out.println();
                Table t = new Table("TIME (UTC)", "CLIENT", "OBJECT", "OFFSET", "LENGTH", "OUTCOME", "S3 WAIT");
                for (ReadRecord r : first) {
                    t.row(SHOW_TIME.format(instant(r.timeNanos())),
                            r.clientAddress().isEmpty() ? Long.toHexString(r.clientId()) : r.clientAddress(),
                            r.objectKey(), Long.toString(r.offset()), Integer.toString(r.length()),
                            r.outcome().name(), r.s3WaitNanos() == 0 ? "-" : Format.nanos(r.s3WaitNanos()));
                }
                t.print(out);
                if (tot.reads > first.size()) {
                    out.println("(first " + first.size() + " of " + Format.count(tot.reads)
                            + " reads; --head N for more, 'trace export --csv' for all)");
                }
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write one epoch's reads as CSV (RFC 4180, header row, UTF-8): the trace's columns, with "
                    + "'time' as ISO-8601 UTC and 'time_ns' as nanoseconds since the Unix epoch.")
    static final class Export extends Sub {
        @Parameters(index = "0", paramLabel = "EPOCH",
                description = "<dataset>/<job>/<n> as 'trace ls' prints it, or the path of an .arrow file.")
        String epoch;

        @Option(names = "--csv", required = true, description = "CSV output (the only format so far).")
        boolean csv;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
        @Nullable Path output;

        @Override
        void execute() throws IOException {
            TraceStore store = store();
            EpochTrace e = store.resolve(epoch);
            if (output == null) {
                export(store, e, out());
            } else {
                try (Writer w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
                    long n = export(store, e, w);
                    out().println("wrote " + Format.count(n) + " reads to " + output);
                }
            }
        }

        private static long export(TraceStore store, EpochTrace e, Writer w) throws IOException {
            w.write("time,time_ns,client_id,client_address,object_key,etag,file_id,byte_offset,byte_length,"
                    + "outcome,s3_wait_ns,dataset,job,epoch,sample,rank\r\n");
            long n = 0;
            StringBuilder b = new StringBuilder(256);
            try (EpochReads reads = store.reads(e)) {
                while (reads.hasNext()) {
                    ReadRecord r = reads.next();
                    b.setLength(0);
                    b.append(CSV_TIME.format(instant(r.timeNanos()))).append(',').append(r.timeNanos()).append(',')
                            .append(r.clientId()).append(',');
                    Csv.field(b, r.clientAddress()).append(',');
                    Csv.field(b, r.objectKey()).append(',');
                    Csv.field(b, r.etag()).append(',');
                    b.append(r.fileId()).append(',').append(r.offset()).append(',').append(r.length()).append(',')
                            .append(r.outcome().name()).append(',').append(r.s3WaitNanos()).append(',');
                    Csv.field(b, r.dataset()).append(',');
                    Csv.field(b, r.job()).append(',');
                    b.append(r.epoch()).append(',').append(r.sample()).append(',').append(r.rank()).append("\r\n");
                    w.write(b.toString());
                    n++;
                }
            }
            w.flush();
            return n;
        }
    }

    static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    /** Totals over an epoch's reads. */
    static final class Totals {
        long reads;
        long bytes;
        long waitNanos;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        /** The last read's dataset and job; null before the first read. */
        @Nullable String dataset;
        @Nullable String job;
        int epoch;
        final EnumMap<Outcome, Long> byOutcome = new EnumMap<>(Outcome.class);
        final Set<String> objects = new HashSet<>();
        final Set<String> clients = new HashSet<>();

        void add(ReadRecord r) {
            reads++;
            bytes += r.length();
            waitNanos += r.s3WaitNanos();
            first = Math.min(first, r.timeNanos());
            last = Math.max(last, r.timeNanos());
            byOutcome.merge(r.outcome(), 1L, Long::sum);
            objects.add(r.objectKey());
            clients.add(r.clientId() + "@" + r.clientAddress());
            dataset = r.dataset();
            job = r.job();
            epoch = r.epoch();
        }

        long hits() {
            return byOutcome.getOrDefault(Outcome.CACHE_HIT, 0L) + byOutcome.getOrDefault(Outcome.PREFETCH_HIT, 0L);
        }
    }
}

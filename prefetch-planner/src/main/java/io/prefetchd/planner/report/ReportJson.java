package io.prefetchd.planner.report;

import io.prefetchd.planner.report.EpochReport.Bucket;
import io.prefetchd.planner.report.EpochReport.Counterfactual;
import io.prefetchd.planner.report.EpochReport.Policy;
import io.prefetchd.planner.report.EpochReport.Timeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of reports. Field names are snake case with the unit in the name ({@code _bytes},
 * {@code _seconds}, {@code _nanos}); ratios are plain numbers in [0, 1] or null when undefined. Derived figures
 * (duration, c, the bound, amplification, prefetch GETs and bytes) are written for readers and ignored when read.
 */
final class ReportJson {
    static final String FORMAT = "prefetchd.epoch-reports/1";

    private ReportJson() {
    }

    static String write(List<EpochReport> reports) {
        StringBuilder b = new StringBuilder(4096 + reports.size() * 8192);
        b.append("{\n  \"format\": \"").append(FORMAT).append("\",\n  \"reports\": [");
        for (int i = 0; i < reports.size(); i++) {
            b.append(i == 0 ? "\n" : ",\n");
            report(b, reports.get(i));
        }
        b.append(reports.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
        return b.toString();
    }

    private static void report(StringBuilder b, EpochReport r) {
        Fields f = new Fields(b, "    ");
        b.append("    {");
        f.str("dataset", r.dataset()).str("dataset_path", r.datasetPath()).str("dataset_format", r.datasetFormat())
                .str("job", r.job()).num("epoch", r.epoch()).bool("hinted", r.hinted())
                .bool("complete", r.complete()).str("finished_at", r.finishedAt())
                .num("start_nanos", r.startNanos()).num("end_nanos", r.endNanos())
                .dbl("duration_seconds", r.durationSeconds())
                .num("dataset_bytes", r.datasetBytes()).num("capacity_bytes", r.capacityBytes())
                .dbl("cache_fraction", r.cacheFraction()).num("bound_bytes", r.boundBytes())
                .num("samples_read", r.samplesRead()).num("read_bytes", r.bytesRead())
                .dbl("hit_ratio", r.hitRatio()).dbl("no_wait_share", r.noWaitShare())
                .num("reads_waited", r.readsWaited()).dbl("wait_total_seconds", r.waitTotalSeconds())
                .dbl("wait_p99_seconds", r.waitP99Seconds()).dbl("wait_max_seconds", r.waitMaxSeconds())
                .num("s3_gets", r.s3Gets()).num("s3_gets_demand", r.s3GetsDemand())
                .num("s3_gets_prefetch", r.s3GetsPrefetch()).num("s3_gets_failed", r.s3GetsFailed())
                .num("s3_bytes", r.s3Bytes()).num("s3_demand_bytes", r.s3BytesDemand())
                .num("s3_prefetch_bytes", r.s3BytesPrefetch()).num("s3_useful_bytes", r.s3UsefulBytes())
                .dbl("read_amplification", r.readAmplification())
                .num("prefetched_unused_bytes", r.prefetchedUnusedBytes())
                .num("planned_samples", r.plannedSamples()).num("planned_fetch_bytes", r.plannedFetchBytes())
                .num("plans", r.plans()).bool("trace_truncated", r.traceTruncated());
        f.key("counterfactual");
        Counterfactual cf = r.counterfactual();
        if (cf == null) {
            b.append("null");
        } else {
            b.append("{\"warmed_up\": ").append(cf.warmedUp()).append(", \"reads\": ").append(cf.reads())
                    .append(", \"sample_rate\": ").append(Json.number(cf.sampleRate())).append(", \"lru\": ");
            policy(b, cf.lru());
            b.append(", \"opt\": ");
            policy(b, cf.opt());
            b.append('}');
        }
        f.str("counterfactual_note", r.counterfactualNote());
        f.key("timeline");
        Timeline t = r.timeline();
        b.append("{\"bucket_seconds\": ").append(Json.number(t.bucketSeconds())).append(", \"buckets\": [");
        for (int i = 0; i < t.buckets().size(); i++) {
            Bucket k = t.buckets().get(i);
            b.append(i == 0 ? "\n        " : ",\n        ");
            b.append("{\"reads\": ").append(k.reads()).append(", \"reads_waited\": ").append(k.readsWaited())
                    .append(", \"wait_seconds\": ").append(Json.number(k.waitSeconds()))
                    .append(", \"get_started_bytes\": ").append(k.getBytesStarted())
                    .append(", \"get_completed_bytes\": ").append(k.getBytesCompleted())
                    .append(", \"gets_in_flight_max\": ").append(k.getsInFlightMax()).append('}');
        }
        b.append(t.buckets().isEmpty() ? "]}" : "\n      ]}");
        b.append("\n    }");
    }

    private static void policy(StringBuilder b, Policy p) {
        b.append("{\"hit_ratio\": ").append(Json.number(p.hitRatio())).append(", \"s3_bytes\": ")
                .append(p.s3Bytes()).append(", \"s3_gets\": ").append(p.s3Gets()).append('}');
    }

    /** Writes {@code "name": value} pairs, one a line. */
    private static final class Fields {
        private final StringBuilder b;
        private final String indent;
        private boolean first = true;

        Fields(StringBuilder b, String indent) {
            this.b = b;
            this.indent = indent;
        }

        Fields key(String name) {
            b.append(first ? "\n" : ",\n").append(indent).append("  \"").append(name).append("\": ");
            first = false;
            return this;
        }

        Fields str(String name, String v) {
            key(name);
            Json.string(b, v);
            return this;
        }

        Fields num(String name, long v) {
            key(name).b.append(v);
            return this;
        }

        Fields dbl(String name, double v) {
            key(name).b.append(Json.number(v));
            return this;
        }

        Fields bool(String name, boolean v) {
            key(name).b.append(v);
            return this;
        }
    }

    static List<EpochReport> read(String json) {
        if (json == null) {
            throw new IllegalArgumentException("no JSON (null)");
        }
        Object root = Json.parse(json);
        if (!(root instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("epoch reports JSON must be an object with \"reports\"");
        }
        Object format = top.get("format");
        if (format != null && !FORMAT.equals(format)) {
            throw new IllegalArgumentException("unknown report format " + format + " (expected " + FORMAT + ")");
        }
        List<?> list = list(top, "reports", "the document");
        List<EpochReport> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("report " + i + " is not an object");
            }
            try {
                out.add(report(m));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("report " + i + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static EpochReport report(Map<?, ?> m) {
        Object cfv = m.get("counterfactual");
        Counterfactual cf = null;
        if (cfv instanceof Map<?, ?> c) {
            cf = new Counterfactual(bool(c, "warmed_up"), lng(c, "reads"), dbl(c, "sample_rate"),
                    policy(map(c, "lru")), policy(map(c, "opt")));
        } else if (cfv != null) {
            throw new IllegalArgumentException("counterfactual must be an object or null");
        }
        Map<?, ?> t = map(m, "timeline");
        List<Bucket> buckets = new ArrayList<>();
        for (Object o : list(t, "buckets", "timeline")) {
            if (!(o instanceof Map<?, ?> k)) {
                throw new IllegalArgumentException("a timeline bucket is not an object");
            }
            buckets.add(new Bucket(lng(k, "reads"), lng(k, "reads_waited"), dbl(k, "wait_seconds"),
                    lng(k, "get_started_bytes"), lng(k, "get_completed_bytes"), (int) lng(k, "gets_in_flight_max")));
        }
        return new EpochReport(str(m, "dataset"), str(m, "job"), (int) lng(m, "epoch"), bool(m, "hinted"),
                bool(m, "complete"), str(m, "finished_at"), lng(m, "start_nanos"), lng(m, "end_nanos"),
                lng(m, "dataset_bytes"), lng(m, "capacity_bytes"), lng(m, "samples_read"), lng(m, "read_bytes"),
                dbl(m, "hit_ratio"), dbl(m, "no_wait_share"), lng(m, "reads_waited"), dbl(m, "wait_total_seconds"),
                dbl(m, "wait_p99_seconds"), dbl(m, "wait_max_seconds"), lng(m, "s3_gets"),
                lng(m, "s3_gets_demand"), lng(m, "s3_gets_failed"), lng(m, "s3_bytes"), lng(m, "s3_demand_bytes"),
                lng(m, "s3_useful_bytes"), lng(m, "prefetched_unused_bytes"), lng(m, "planned_samples"),
                lng(m, "planned_fetch_bytes"), (int) lng(m, "plans"), bool(m, "trace_truncated"), cf,
                str(m, "counterfactual_note"), new Timeline(dbl(t, "bucket_seconds"), buckets),
                optionalStr(m, "dataset_path"), optionalStr(m, "dataset_format"));
    }

    private static Policy policy(Map<?, ?> m) {
        return new Policy(dbl(m, "hit_ratio"), lng(m, "s3_bytes"), lng(m, "s3_gets"));
    }

    private static Object field(Map<?, ?> m, String name) {
        if (!m.containsKey(name)) {
            throw new IllegalArgumentException("field \"" + name + "\" is missing");
        }
        return m.get(name);
    }

    /** A string field that reports written before it existed lack: {@code ""} then. */
    private static String optionalStr(Map<?, ?> m, String name) {
        return m.containsKey(name) ? str(m, name) : "";
    }

    private static String str(Map<?, ?> m, String name) {
        if (field(m, name) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be a string");
    }

    private static boolean bool(Map<?, ?> m, String name) {
        if (field(m, name) instanceof Boolean v) {
            return v;
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be true or false");
    }

    private static long lng(Map<?, ?> m, String name) {
        if (field(m, name) instanceof Long v) {
            return v;
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be an integer");
    }

    /** A number, or null for an undefined ratio (NaN). */
    private static double dbl(Map<?, ?> m, String name) {
        Object v = field(m, name);
        if (v == null) {
            return Double.NaN;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be a number or null");
    }

    private static Map<?, ?> map(Map<?, ?> m, String name) {
        if (field(m, name) instanceof Map<?, ?> v) {
            return v;
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be an object");
    }

    private static List<?> list(Map<?, ?> m, String name, String where) {
        if (m.get(name) instanceof List<?> v) {
            return v;
        }
        throw new IllegalArgumentException(where + " has no \"" + name + "\" array");
    }
}

package io.prefetchd.planner.report;

import io.prefetchd.planner.report.EpochReport.Bucket;
import io.prefetchd.planner.report.EpochReport.Counterfactual;
import io.prefetchd.planner.report.EpochReport.Policy;
import io.prefetchd.planner.report.EpochReport.Timeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefetchd.planner.json.Json;

import java.util.ArrayList;
import java.util.List;

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
        ObjectNode doc = Json.object().put("format", FORMAT);
        ArrayNode list = doc.putArray("reports");
        for (EpochReport r : reports) {
            list.add(report(r));
        }
        return Json.pretty(doc);
    }

    private static ObjectNode report(EpochReport r) {
        ObjectNode o = Json.object();
        o.put("dataset", r.dataset()).put("dataset_path", r.datasetPath()).put("dataset_format", r.datasetFormat())
                .put("job", r.job()).put("epoch", r.epoch()).put("hinted", r.hinted())
                .put("complete", r.complete()).put("ended", r.ended().jsonName()).put("finished_at", r.finishedAt())
                .put("start_nanos", r.startNanos()).put("end_nanos", r.endNanos())
                .set("duration_seconds", Json.number(r.durationSeconds()));
        o.put("dataset_bytes", r.datasetBytes()).put("capacity_bytes", r.capacityBytes())
                .set("cache_fraction", Json.number(r.cacheFraction()));
        o.put("bound_bytes", r.boundBytes()).put("samples_read", r.samplesRead()).put("read_bytes", r.bytesRead())
                .set("hit_ratio", Json.number(r.hitRatio()));
        o.set("no_wait_share", Json.number(r.noWaitShare()));
        o.put("reads_waited", r.readsWaited()).set("wait_total_seconds", Json.number(r.waitTotalSeconds()));
        o.set("wait_p99_seconds", Json.number(r.waitP99Seconds()));
        o.set("wait_max_seconds", Json.number(r.waitMaxSeconds()));
        o.put("s3_gets", r.s3Gets()).put("s3_gets_demand", r.s3GetsDemand())
                .put("s3_gets_prefetch", r.s3GetsPrefetch()).put("s3_gets_failed", r.s3GetsFailed())
                .put("s3_bytes", r.s3Bytes()).put("s3_demand_bytes", r.s3BytesDemand())
                .put("s3_prefetch_bytes", r.s3BytesPrefetch()).put("s3_useful_bytes", r.s3UsefulBytes())
                .set("read_amplification", Json.number(r.readAmplification()));
        o.put("prefetched_unused_bytes", r.prefetchedUnusedBytes())
                .put("planned_samples", r.plannedSamples()).put("planned_fetch_bytes", r.plannedFetchBytes())
                .put("plans", r.plans()).put("trace_truncated", r.traceTruncated());
        Counterfactual cf = r.counterfactual();
        if (cf == null) {
            o.putNull("counterfactual");
        } else {
            ObjectNode c = o.putObject("counterfactual").put("warmed_up", cf.warmedUp()).put("reads", cf.reads());
            c.set("sample_rate", Json.number(cf.sampleRate()));
            c.set("lru", policy(cf.lru()));
            c.set("opt", policy(cf.opt()));
        }
        o.put("counterfactual_note", r.counterfactualNote());
        Timeline t = r.timeline();
        ObjectNode timeline = o.putObject("timeline");
        timeline.set("bucket_seconds", Json.number(t.bucketSeconds()));
        ArrayNode buckets = timeline.putArray("buckets");
        for (Bucket k : t.buckets()) {
            ObjectNode b = buckets.addObject().put("reads", k.reads()).put("reads_waited", k.readsWaited());
            b.set("wait_seconds", Json.number(k.waitSeconds()));
            b.put("get_started_bytes", k.getBytesStarted()).put("get_completed_bytes", k.getBytesCompleted())
                    .put("gets_in_flight_max", k.getsInFlightMax());
        }
        return o;
    }

    private static ObjectNode policy(Policy p) {
        ObjectNode o = Json.object();
        o.set("hit_ratio", Json.number(p.hitRatio()));
        return o.put("s3_bytes", p.s3Bytes()).put("s3_gets", p.s3Gets());
    }

    static List<EpochReport> read(String json) {
        if (json == null) {
            throw new IllegalArgumentException("no JSON (null)");
        }
        JsonNode top = Json.parse(json);
        if (!top.isObject()) {
            throw new IllegalArgumentException("epoch reports JSON must be an object with \"reports\"");
        }
        JsonNode format = top.get("format");
        if (format != null && !format.isNull() && !FORMAT.equals(format.asText())) {
            throw new IllegalArgumentException("unknown report format " + format + " (expected " + FORMAT + ")");
        }
        JsonNode list = list(top, "reports", "the document");
        List<EpochReport> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            if (!m.isObject()) {
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

    private static EpochReport report(JsonNode m) {
        JsonNode c = m.get("counterfactual");
        Counterfactual cf = null;
        if (c != null && c.isObject()) {
            cf = new Counterfactual(bool(c, "warmed_up"), lng(c, "reads"), dbl(c, "sample_rate"),
                    policy(map(c, "lru")), policy(map(c, "opt")));
        } else if (c != null && !c.isNull()) {
            throw new IllegalArgumentException("counterfactual must be an object or null");
        }
        JsonNode t = map(m, "timeline");
        List<Bucket> buckets = new ArrayList<>();
        for (JsonNode k : list(t, "buckets", "timeline")) {
            if (!k.isObject()) {
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
                optionalStr(m, "dataset_path"), optionalStr(m, "dataset_format"), ended(m));
    }

    /** What ended the epoch; a report written before reports said it: running when partial, else unknown. */
    private static EpochEnd ended(JsonNode m) {
        if (m.has("ended")) {
            return EpochEnd.fromJsonName(str(m, "ended"));
        }
        return bool(m, "complete") ? EpochEnd.UNKNOWN : EpochEnd.RUNNING;
    }

    private static Policy policy(JsonNode m) {
        return new Policy(dbl(m, "hit_ratio"), lng(m, "s3_bytes"), lng(m, "s3_gets"));
    }

    private static JsonNode field(JsonNode m, String name) {
        JsonNode v = m.get(name);
        if (v == null) {
            throw new IllegalArgumentException("field \"" + name + "\" is missing");
        }
        return v;
    }

    /** A string field that reports written before it existed lack: {@code ""} then. */
    private static String optionalStr(JsonNode m, String name) {
        return m.has(name) ? str(m, name) : "";
    }

    private static String str(JsonNode m, String name) {
        JsonNode v = field(m, name);
        if (v.isTextual()) {
            return v.textValue();
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be a string");
    }

    private static boolean bool(JsonNode m, String name) {
        JsonNode v = field(m, name);
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be true or false");
    }

    private static long lng(JsonNode m, String name) {
        JsonNode v = field(m, name);
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be an integer");
    }

    /** A number, or null for an undefined ratio (NaN). */
    private static double dbl(JsonNode m, String name) {
        JsonNode v = field(m, name);
        if (v.isNull()) {
            return Double.NaN;
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be a number or null");
    }

    private static JsonNode map(JsonNode m, String name) {
        JsonNode v = field(m, name);
        if (v.isObject()) {
            return v;
        }
        throw new IllegalArgumentException("field \"" + name + "\" must be an object");
    }

    private static JsonNode list(JsonNode m, String name, String where) {
        JsonNode v = m.get(name);
        if (v != null && v.isArray()) {
            return v;
        }
        throw new IllegalArgumentException(where + " has no \"" + name + "\" array");
    }
}

package io.prefetchd.planner.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.prefetchd.planner.report.Format.bytes;
import static io.prefetchd.planner.report.Format.count;
import static io.prefetchd.planner.report.Format.percent;
import static io.prefetchd.planner.report.Format.ratio;
import static io.prefetchd.planner.report.Format.seconds;

/**
 * The terminal form, under 120 columns: per (dataset, job) a header line with D, the cache and the bound, then two
 * tables with one row per epoch: reads (what the job saw), then S3 (what it cost, against the bound and the
 * simulated policies). Text columns are left-aligned, numbers right-aligned.
 */
final class TextTable {
    private TextTable() {
    }

    static String render(List<EpochReport> reports) {
        if (reports.isEmpty()) {
            return "no epoch reports yet\n";
        }
        Map<String, List<EpochReport>> groups = new LinkedHashMap<>();
        for (EpochReport r : reports) {
            groups.computeIfAbsent((r.datasetFormat().isEmpty() ? r.dataset()
                    : r.datasetName() + " [" + r.dataset() + "]") + " / " + r.job(), k -> new ArrayList<>()).add(r);
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, List<EpochReport>> g : groups.entrySet()) {
            if (b.length() > 0) {
                b.append('\n');
            }
            group(b, g.getKey(), g.getValue());
        }
        return b.toString();
    }

    /** {@code running}, {@code done}, or what ended an epoch cut short: {@code idle}, {@code shutdown}. */
    private static String state(EpochReport r) {
        return switch (r.ended()) {
            case RUNNING -> "running";
            case IDLE, SHUTDOWN -> r.ended().jsonName();
            case NEXT_EPOCH, END_EPOCH, UNKNOWN -> "done";
        };
    }

    private static void group(StringBuilder b, String name, List<EpochReport> reports) {
        EpochReport last = reports.get(reports.size() - 1);
        b.append(name).append(": D = ").append(bytes(last.datasetBytes())).append(", cache ")
                .append(bytes(last.capacityBytes())).append(" (c = ")
                .append(Double.isNaN(last.cacheFraction()) ? "-"
                        : String.format(Locale.ROOT, "%.2f", last.cacheFraction()))
                .append("), (1-c)*D = ").append(bytes(last.boundBytes())).append('\n');
        List<String[]> reads = new ArrayList<>();
        reads.add(new String[] {"epoch", "hints", "state", "time", "samples", "read", "hit", "no-wait", "waited",
                "wait total", "wait p99", "wait max"});
        List<String[]> s3 = new ArrayList<>();
        s3.add(new String[] {"epoch", "S3 bytes", "GETs", "demand", "failed", "amplif.", "unused", "planned",
                "vs (1-c)*D", "LRU S3 (hit)", "OPT S3 (hit)"});
        List<String> notes = new ArrayList<>();
        for (EpochReport r : reports) {
            String epoch = Integer.toString(r.epoch());
            reads.add(new String[] {epoch, r.hinted() ? "yes" : "no", state(r),
                    seconds(r.durationSeconds()), count(r.samplesRead()), bytes(r.bytesRead()), percent(r.hitRatio()),
                    percent(r.noWaitShare()), count(r.readsWaited()), seconds(r.waitTotalSeconds()),
                    seconds(r.waitP99Seconds()), seconds(r.waitMaxSeconds())});
            EpochReport.Counterfactual cf = r.counterfactual();
            s3.add(new String[] {epoch, bytes(r.s3Bytes()), count(r.s3Gets()), count(r.s3GetsDemand()),
                    count(r.s3GetsFailed()), ratio(r.readAmplification()), bytes(r.prefetchedUnusedBytes()),
                    r.plannedFetchBytes() < 0 ? "-" : bytes(r.plannedFetchBytes()),
                    r.boundBytes() == 0 || !r.complete() ? "-" : ratio((double) r.s3Bytes() / r.boundBytes()),
                    cf == null ? "-" : bytes(cf.lru().s3Bytes()) + " (" + percent(cf.lru().hitRatio()) + ")",
                    cf == null ? "-" : bytes(cf.opt().s3Bytes()) + " (" + percent(cf.opt().hitRatio()) + ")"});
            if (!r.counterfactualNote().isEmpty()) {
                notes.add("  epoch " + r.epoch() + ": LRU/OPT " + r.counterfactualNote());
            }
        }
        b.append("  reads\n");
        columns(b, reads, 3);
        b.append("  S3 (LRU and OPT: simulated on the same reads with the same cache)\n");
        columns(b, s3, 1);
        notes.forEach(n -> b.append(n).append('\n'));
    }

    /** Indented two spaces; the first {@code textColumns} columns left-aligned, the rest right-aligned. */
    private static void columns(StringBuilder b, List<String[]> rows, int textColumns) {
        int n = rows.get(0).length;
        int[] width = new int[n];
        for (String[] row : rows) {
            for (int i = 0; i < n; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String pad = " ".repeat(width[i] - row[i].length());
                line.append(i < textColumns ? row[i] + pad : pad + row[i]);
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
    }
}

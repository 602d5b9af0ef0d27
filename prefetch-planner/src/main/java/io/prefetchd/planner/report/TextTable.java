package io.prefetchd.planner.report;

import java.util.ArrayList;
import java.util.List;

import static io.prefetchd.planner.report.Format.bytes;
import static io.prefetchd.planner.report.Format.count;
import static io.prefetchd.planner.report.Format.percent;
import static io.prefetchd.planner.report.Format.ratio;
import static io.prefetchd.planner.report.Format.seconds;

/**
 * The terminal form: two tables with one row per epoch, reads (what the job saw) then S3 (what it cost, against
 * the bound and the counterfactual policies). Text columns are left-aligned, numbers right-aligned.
 */
final class TextTable {
    private TextTable() {
    }

    static String render(List<EpochReport> reports) {
        if (reports.isEmpty()) {
            return "no epoch reports yet\n";
        }
        List<String[]> reads = new ArrayList<>();
        reads.add(new String[] {"dataset", "job", "epoch", "hints", "state", "time", "samples", "read", "hit",
                "no-wait", "waited", "wait total", "wait p99", "wait max"});
        List<String[]> s3 = new ArrayList<>();
        s3.add(new String[] {"dataset", "job", "epoch", "S3 bytes", "GETs", "demand", "failed", "amplif.",
                "unused", "planned", "(1-c)*D", "vs bound", "LRU S3 (hit)", "OPT S3 (hit)"});
        for (EpochReport r : reports) {
            reads.add(new String[] {r.dataset(), r.job(), Integer.toString(r.epoch()), r.hinted() ? "yes" : "no",
                    r.complete() ? "done" : "running", seconds(r.durationSeconds()), count(r.samplesRead()),
                    bytes(r.bytesRead()), percent(r.hitRatio()), percent(r.noWaitShare()), count(r.readsWaited()),
                    seconds(r.waitTotalSeconds()), seconds(r.waitP99Seconds()), seconds(r.waitMaxSeconds())});
            EpochReport.Counterfactual cf = r.counterfactual();
            s3.add(new String[] {r.dataset(), r.job(), Integer.toString(r.epoch()), bytes(r.s3Bytes()),
                    count(r.s3Gets()), count(r.s3GetsDemand()), count(r.s3GetsFailed()),
                    ratio(r.readAmplification()), bytes(r.prefetchedUnusedBytes()),
                    r.plannedFetchBytes() < 0 ? "-" : bytes(r.plannedFetchBytes()), bytes(r.boundBytes()),
                    r.boundBytes() == 0 || !r.complete() ? "-" : ratio((double) r.s3Bytes() / r.boundBytes()),
                    cf == null ? "-" : bytes(cf.lru().s3Bytes()) + " (" + percent(cf.lru().hitRatio()) + ")",
                    cf == null ? "-" : bytes(cf.opt().s3Bytes()) + " (" + percent(cf.opt().hitRatio()) + ")"});
        }
        StringBuilder b = new StringBuilder();
        b.append("Reads\n");
        columns(b, reads, 5);
        b.append("\nS3 (this epoch; LRU and OPT simulated on the same reads with the same cache)\n");
        columns(b, s3, 3);
        List<String> notes = new ArrayList<>();
        for (EpochReport r : reports) {
            if (!r.counterfactualNote().isEmpty()) {
                notes.add(r.dataset() + "/" + r.job() + " epoch " + r.epoch() + ": LRU/OPT "
                        + r.counterfactualNote());
            }
        }
        if (!notes.isEmpty()) {
            b.append('\n');
            notes.forEach(n -> b.append(n).append('\n'));
        }
        return b.toString();
    }

    /** The first {@code textColumns} columns left-aligned, the rest right-aligned, two spaces apart. */
    private static void columns(StringBuilder b, List<String[]> rows, int textColumns) {
        int n = rows.get(0).length;
        int[] width = new int[n];
        for (String[] row : rows) {
            for (int i = 0; i < n; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
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

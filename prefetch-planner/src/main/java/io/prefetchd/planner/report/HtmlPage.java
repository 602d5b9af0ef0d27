package io.prefetchd.planner.report;

import io.prefetchd.planner.report.EpochReport.Bucket;
import io.prefetchd.planner.report.EpochReport.Counterfactual;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import static io.prefetchd.planner.report.Format.bytes;
import static io.prefetchd.planner.report.Format.count;
import static io.prefetchd.planner.report.Format.percent;
import static io.prefetchd.planner.report.Format.ratio;
import static io.prefetchd.planner.report.Format.seconds;

/**
 * The HTML page: an overview table, then per epoch a summary table, a bar plot of S3 bytes per policy and a
 * timeline of reads, waits and GETs. Everything is inline (CSS, SVG); no script, no external URL, so the page can
 * be saved, mailed or opened from disk.
 *
 * <p>The SVG elements carry classes the headless-browser test counts ({@code svg.timeline}, {@code rect.bar-nowait},
 * {@code rect.bar-waited}, {@code rect.bar-wait}, {@code rect.bar-get}, {@code polyline.completed},
 * {@code polyline.inflight}, {@code svg.policies}, {@code rect.policy-bar}): every timeline series has one bar or
 * point per bucket, zero-height bars included.
 */
final class HtmlPage {
    private static final String BLUE = "#4e79a7";
    private static final String ORANGE = "#f28e2b";
    private static final String RED = "#e15759";
    private static final String GREEN = "#59a14f";
    private static final String GREY = "#9c9c9c";
    private static final String PURPLE = "#8e5ea2";
    private static final String DARK = "#333333";

    private HtmlPage() {
    }

    static String render(List<EpochReport> reports) {
        StringBuilder b = new StringBuilder(16384 + reports.size() * 65536);
        b.append("""
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>prefetchd epoch reports</title>
                <style>
                body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
                       color: #222; background: #fff; margin: 0 auto; padding: 16px 24px; max-width: 1160px; }
                h1 { font-size: 22px; margin: 4px 0 4px; }
                h2 { font-size: 18px; margin: 0 0 10px; }
                p.lede { color: #555; margin: 0 0 14px; }
                section.epoch { border-top: 1px solid #ddd; padding: 16px 0 8px; }
                .tag { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 7px; border-radius: 9px;
                       margin-left: 6px; vertical-align: 2px; background: #e8eef6; color: #2f5a8a; }
                .tag.plain { background: #eee; color: #555; }
                .tag.running { background: #fdf0e1; color: #9a5b12; }
                .row { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
                table { border-collapse: collapse; font-size: 13px; }
                table.summary td { padding: 3px 10px 3px 0; vertical-align: top; }
                table.summary td:first-child { color: #555; white-space: nowrap; }
                table.summary td.v { font-variant-numeric: tabular-nums; font-weight: 600; }
                table.summary td.x { color: #666; max-width: 290px; }
                table.summary { max-width: 590px; }
                table.overview th, table.overview td { padding: 4px 9px; border-bottom: 1px solid #eee; }
                table.overview th { text-align: right; color: #555; font-weight: 600; border-bottom: 1px solid #ccc; }
                table.overview td { text-align: right; font-variant-numeric: tabular-nums; }
                table.overview th.t, table.overview td.t { text-align: left; }
                figure { margin: 0; }
                figure.tl { margin-top: 16px; }
                figcaption { font-size: 12px; color: #666; margin-top: 2px; }
                svg text { font-family: inherit; }
                .empty { color: #777; font-style: italic; }
                details { margin-top: 18px; font-size: 13px; color: #333; }
                details li { margin: 3px 0; }
                a { color: #2f5a8a; }
                </style>
                </head>
                <body>
                <h1>prefetchd epoch reports</h1>
                """);
        if (reports.isEmpty()) {
            b.append("<p class=\"empty\">No epoch reports yet: they appear when an epoch ends (and while one is "
                    + "running, as a partial report).</p>\n");
        } else {
            b.append("<p class=\"lede\">").append(reports.size()).append(reports.size() == 1 ? " epoch" : " epochs")
                    .append(". Bytes in decimal units (1 MB = 10<sup>6</sup> bytes). LRU and OPT are simulated on "
                            + "each epoch's own reads with the same cache size.</p>\n");
            overview(b, reports);
            for (int i = 0; i < reports.size(); i++) {
                epoch(b, reports.get(i), i);
            }
        }
        help(b);
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private static void overview(StringBuilder b, List<EpochReport> reports) {
        b.append("<table class=\"overview\">\n<tr><th class=\"t\">dataset</th><th class=\"t\">job</th>"
                + "<th>epoch</th><th class=\"t\">hints</th><th>time</th><th>samples</th><th>hit ratio</th>"
                + "<th>no wait</th><th>wait p99</th><th>S3 bytes</th><th>vs (1−c)·D</th><th>LRU S3</th>"
                + "<th>OPT S3</th></tr>\n");
        for (int i = 0; i < reports.size(); i++) {
            EpochReport r = reports.get(i);
            Counterfactual cf = r.counterfactual();
            b.append("<tr><td class=\"t\"><a href=\"#epoch-").append(i).append("\">").append(esc(r.datasetName()))
                    .append("</a></td><td class=\"t\">").append(esc(r.job())).append("</td><td>").append(r.epoch())
                    .append(r.complete() ? "" : " (running)").append("</td><td class=\"t\">")
                    .append(r.hinted() ? "yes" : "no").append("</td><td>").append(seconds(r.durationSeconds()))
                    .append("</td><td>").append(count(r.samplesRead())).append("</td><td>")
                    .append(percent(r.hitRatio())).append("</td><td>").append(percent(r.noWaitShare()))
                    .append("</td><td>").append(seconds(r.waitP99Seconds())).append("</td><td>")
                    .append(bytes(r.s3Bytes())).append("</td><td>")
                    .append(r.boundBytes() == 0 || !r.complete() ? "-" : ratio((double) r.s3Bytes() / r.boundBytes()))
                    .append("</td><td>").append(cf == null ? "-" : bytes(cf.lru().s3Bytes())).append("</td><td>")
                    .append(cf == null ? "-" : bytes(cf.opt().s3Bytes())).append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void epoch(StringBuilder b, EpochReport r, int index) {
        b.append("<section class=\"epoch\" id=\"epoch-").append(index).append("\">\n<h2>")
                .append(esc(r.datasetName())).append(" · ").append(esc(r.job())).append(" · epoch ").append(r.epoch())
                .append(r.datasetFormat().isEmpty() ? "" : "<span class=\"tag plain\">" + esc(r.dataset()) + "</span>")
                .append(r.hinted() ? "<span class=\"tag\">order hinted</span>"
                        : "<span class=\"tag plain\">no hint</span>")
                .append(r.complete() ? "" : "<span class=\"tag running\">in progress</span>")
                .append("</h2>\n<div class=\"row\">\n");
        summary(b, r);
        policies(b, r);
        b.append("</div>\n");
        timeline(b, r);
        b.append("</section>\n");
    }

    private static void summary(StringBuilder b, EpochReport r) {
        b.append("<table class=\"summary\">\n");
        row(b, "duration", seconds(r.durationSeconds()), r.finishedAt().isEmpty() ? "" : "ended " + r.finishedAt());
        row(b, "samples read", count(r.samplesRead()), r.plannedSamples() < 0 ? "no plan"
                : "planned " + count(r.plannedSamples()));
        row(b, "bytes read", bytes(r.bytesRead()), "");
        row(b, "hit ratio", percent(r.hitRatio()), "bytes read not fetched from S3 this epoch");
        row(b, "served without waiting", percent(r.noWaitShare()), count(r.readsWaited()) + " of "
                + count(r.samplesRead()) + " reads waited on S3");
        row(b, "wait on S3", seconds(r.waitTotalSeconds()) + " total", "p99 " + seconds(r.waitP99Seconds())
                + ", max " + seconds(r.waitMaxSeconds()));
        row(b, "S3 GETs", count(r.s3Gets()), count(r.s3GetsDemand()) + " demand, " + count(r.s3GetsPrefetch())
                + " prefetch, " + count(r.s3GetsFailed()) + " failed");
        row(b, "S3 bytes", bytes(r.s3Bytes()), bytes(r.s3BytesDemand()) + " demand, "
                + bytes(r.s3BytesPrefetch()) + " prefetch");
        row(b, "planned vs achieved", r.plannedFetchBytes() < 0 ? "-" : bytes(r.plannedFetchBytes()) + " planned",
                r.plannedFetchBytes() < 0 ? "the planner published no plan"
                        : "achieved " + ratio(r.s3BytesVsPlanned()) + " of plan"
                        + (r.plans() > 1 ? " (" + r.plans() + " plans)" : ""));
        row(b, "read amplification", ratio(r.readAmplification()), "S3 bytes / bytes read");
        row(b, "prefetched, never read", bytes(r.prefetchedUnusedBytes()), "evicted or left over unread");
        row(b, "cache", bytes(r.capacityBytes()), "of " + bytes(r.datasetBytes()) + " (c = "
                + (Double.isNaN(r.cacheFraction()) ? "-" : String.format(Locale.ROOT, "%.2f", r.cacheFraction()))
                + "); bound (1−c)·D = " + bytes(r.boundBytes()));
        Counterfactual cf = r.counterfactual();
        if (cf != null) {
            String warm = cf.warmedUp() ? "warm, after the previous epoch" : "cold cache";
            row(b, "LRU, simulated", bytes(cf.lru().s3Bytes()), "hit " + percent(cf.lru().hitRatio()) + ", "
                    + count(cf.lru().s3Gets()) + " GETs; " + warm);
            row(b, "OPT, simulated", bytes(cf.opt().s3Bytes()), "hit " + percent(cf.opt().hitRatio()) + ", "
                    + count(cf.opt().s3Gets()) + " GETs; " + warm);
        }
        if (!r.counterfactualNote().isEmpty()) {
            row(b, "counterfactual", cf == null ? "not simulated" : cf.sampleRate() < 1 ? "estimated" : "partial",
                    r.counterfactualNote());
        }
        if (r.traceTruncated()) {
            row(b, "trace", "truncated", "timeline and p99 cover the kept prefix only");
        }
        b.append("</table>\n");
    }

    private static void row(StringBuilder b, String label, String value, String extra) {
        b.append("<tr><td>").append(esc(label)).append("</td><td class=\"v\">").append(esc(value))
                .append("</td><td class=\"x\">").append(esc(extra)).append("</td></tr>\n");
    }

    /** Horizontal bars: S3 bytes of ours, LRU, OPT and the bound, on one axis from 0. */
    private static void policies(StringBuilder b, EpochReport r) {
        record Bar(String label, String key, double bytes, String note, String color, boolean bound) {
        }
        List<Bar> bars = new ArrayList<>();
        bars.add(new Bar("ours (gateway)", "ours", r.s3Bytes(), "hit " + percent(r.hitRatio()), BLUE, false));
        Counterfactual cf = r.counterfactual();
        if (cf != null) {
            bars.add(new Bar("LRU (simulated)", "lru", cf.lru().s3Bytes(), "hit " + percent(cf.lru().hitRatio()),
                    GREY, false));
            bars.add(new Bar("OPT (simulated)", "opt", cf.opt().s3Bytes(), "hit " + percent(cf.opt().hitRatio()),
                    GREEN, false));
        }
        bars.add(new Bar("bound (1−c)·D", "bound", r.boundBytes(), "floor, random order", "#ffffff", true));
        int width = 520;
        int left = 124;
        int right = 150;
        int top = 30;
        int rowH = 34;
        int plotW = width - left - right;
        int height = top + rowH * bars.size() + 48;
        double max = 0;
        for (Bar bar : bars) {
            max = Math.max(max, bar.bytes());
        }
        double axisMax = niceCeil(max);
        b.append("<figure>\n<svg class=\"policies\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"S3 bytes per policy\">\n");
        text(b, 0, 16, "start", 14, "600", "S3 bytes this epoch, per policy");
        int plotBottom = top + rowH * bars.size();
        for (int t = 0; t <= 4; t++) {
            double x = left + plotW * t / 4.0;
            b.append("<line x1=\"").append(fmt(x)).append("\" y1=\"").append(top - 4).append("\" x2=\"")
                    .append(fmt(x)).append("\" y2=\"").append(plotBottom).append("\" stroke=\"#e4e4e4\"/>\n");
            text(b, x, plotBottom + 16, "middle", 11, "400", bytes(axisMax * t / 4));
        }
        text(b, left + plotW / 2.0, plotBottom + 36, "middle", 12, "400", "bytes fetched from S3 (decimal units)");
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            double y = top + i * rowH + 6;
            double h = rowH - 12;
            double w = axisMax == 0 ? 0 : plotW * bar.bytes() / axisMax;
            text(b, left - 8, y + h / 2 + 4, "end", 12, bar.key().equals("ours") ? "600" : "400", bar.label());
            b.append("<rect class=\"policy-bar\" data-policy=\"").append(bar.key()).append("\" x=\"").append(left)
                    .append("\" y=\"").append(fmt(y)).append("\" width=\"").append(fmt(Math.max(w, 0.5)))
                    .append("\" height=\"").append(fmt(h)).append("\" fill=\"").append(bar.color()).append('"')
                    .append(bar.bound() ? " stroke=\"#222\" stroke-dasharray=\"4 3\" stroke-width=\"1.2\"" : "")
                    .append("><title>").append(esc(bar.label() + ": " + count((long) bar.bytes()) + " bytes"))
                    .append("</title></rect>\n");
            text(b, left + w + 6, y + h / 2 - 1, "start", 12, "600", bytes(bar.bytes()));
            text(b, left + w + 6, y + h / 2 + 12, "start", 11, "400", bar.note());
        }
        b.append("<line x1=\"").append(left).append("\" y1=\"").append(top - 4).append("\" x2=\"").append(left)
                .append("\" y2=\"").append(plotBottom).append("\" stroke=\"#444\"/>\n");
        b.append("</svg>\n");
        if (cf == null) {
            b.append("<figcaption>LRU and OPT not simulated")
                    .append(r.counterfactualNote().isEmpty() ? "" : ": " + esc(r.counterfactualNote()))
                    .append(".</figcaption>\n");
        }
        b.append("</figure>\n");
    }

    /** Four panels over one time axis: reads (waited or not), wait, GET bytes, GETs in flight. */
    private static void timeline(StringBuilder b, EpochReport r) {
        List<Bucket> k = r.timeline().buckets();
        if (r.samplesRead() == 0 && r.s3Gets() == 0) {
            b.append("<p class=\"empty\">No timeline: the epoch recorded no reads and no GETs.</p>\n");
            return;
        }
        int n = k.size();
        int width = 1110;
        int left = 86;
        int right = 24;
        int top = 44;
        int panelH = 92;
        int gap = 34;
        int panels = 4;
        int height = top + 14 + panels * panelH + (panels - 1) * gap + 48;
        double plotW = width - left - right;
        double bw = n == 0 ? 0 : plotW / n;
        double bucketSeconds = r.timeline().bucketSeconds();
        b.append("<figure class=\"tl\">\n<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"timeline of reads, waits and S3 GETs\">\n");
        text(b, 0, 16, "start", 14, "600", "Timeline: " + n + " buckets of " + seconds(bucketSeconds)
                + " each");
        legend(b, left, 34, new String[][] {{BLUE, "read served without waiting"}, {ORANGE, "read waited on S3"},
                {RED, "wait time"}, {GREEN, "GET bytes started"}, {DARK, "GET bytes completed"},
                {PURPLE, "GETs in flight (max)"}});

        double[] y0 = new double[panels];
        for (int p = 0; p < panels; p++) {
            y0[p] = top + p * (panelH + gap) + 14;
        }
        // 1: reads, stacked
        double readsMax = niceCeil(max(k, x -> x.reads()));
        panel(b, left, y0[0], plotW, panelH, "reads per bucket", readsMax, Format::count0, bucketSeconds, n, false);
        for (int i = 0; i < n; i++) {
            Bucket x = k.get(i);
            double hw = scale(x.readsWaited(), readsMax, panelH);
            double hn = scale(x.reads() - x.readsWaited(), readsMax, panelH);
            double bx = left + i * bw + bw * 0.1;
            bar(b, "bar-nowait", bx, y0[0] + panelH - hn, bw * 0.8, hn, BLUE,
                    (x.reads() - x.readsWaited()) + " reads served without waiting");
            bar(b, "bar-waited", bx, y0[0] + panelH - hn - hw, bw * 0.8, hw, ORANGE,
                    x.readsWaited() + " reads waited");
        }
        // 2: wait
        double waitMax = niceCeil(max(k, Bucket::waitSeconds));
        panel(b, left, y0[1], plotW, panelH, "wait on S3 per bucket", waitMax, Format::seconds, bucketSeconds, n,
                false);
        for (int i = 0; i < n; i++) {
            Bucket x = k.get(i);
            double h = scale(x.waitSeconds(), waitMax, panelH);
            bar(b, "bar-wait", left + i * bw + bw * 0.1, y0[1] + panelH - h, bw * 0.8, h, RED,
                    seconds(x.waitSeconds()) + " waited");
        }
        // 3: GET bytes started (bars) and completed (line)
        double bytesMax = niceCeil(Math.max(max(k, Bucket::getBytesStarted), max(k, Bucket::getBytesCompleted)));
        panel(b, left, y0[2], plotW, panelH, "S3 GET bytes per bucket", bytesMax, Format::bytes, bucketSeconds, n,
                false);
        for (int i = 0; i < n; i++) {
            Bucket x = k.get(i);
            double h = scale(x.getBytesStarted(), bytesMax, panelH);
            bar(b, "bar-get", left + i * bw + bw * 0.1, y0[2] + panelH - h, bw * 0.8, h, GREEN,
                    bytes(x.getBytesStarted()) + " started");
        }
        line(b, "completed", k, Bucket::getBytesCompleted, bytesMax, left, y0[2], bw, panelH, DARK, false);
        // 4: GETs in flight
        double flightMax = niceCeil(max(k, Bucket::getsInFlightMax));
        panel(b, left, y0[3], plotW, panelH, "GETs in flight (max per bucket)", flightMax, Format::count0,
                bucketSeconds, n, true);
        line(b, "inflight", k, Bucket::getsInFlightMax, flightMax, left, y0[3], bw, panelH, PURPLE, true);
        text(b, left + plotW / 2, y0[3] + panelH + 38, "middle", 12, "400", "seconds since the epoch started");
        b.append("</svg>\n</figure>\n");
    }

    private static void legend(StringBuilder b, double x, double y, String[][] items) {
        double cx = x;
        for (String[] item : items) {
            b.append("<rect x=\"").append(fmt(cx)).append("\" y=\"").append(fmt(y - 9)).append("\" width=\"11\" "
                    + "height=\"11\" fill=\"").append(item[0]).append("\"/>\n");
            text(b, cx + 15, y, "start", 12, "400", item[1]);
            cx += 15 + item[1].length() * 6.6 + 18;
        }
    }

    /** Frame, y-axis (0, half, max with unit), x gridlines; x tick labels under the last panel only. */
    private static void panel(StringBuilder b, double left, double y, double w, double h, String title, double max,
                              java.util.function.DoubleFunction<String> label, double bucketSeconds, int n,
                              boolean xLabels) {
        text(b, left, y - 5, "start", 12, "600", title);
        for (int t = 0; t <= 2; t++) {
            double yy = y + h - h * t / 2.0;
            b.append("<line x1=\"").append(fmt(left)).append("\" y1=\"").append(fmt(yy)).append("\" x2=\"")
                    .append(fmt(left + w)).append("\" y2=\"").append(fmt(yy)).append("\" stroke=\"")
                    .append(t == 0 ? "#444" : "#e4e4e4").append("\"/>\n");
            text(b, left - 6, yy + 4, "end", 11, "400", label.apply(max * t / 2));
        }
        b.append("<line x1=\"").append(fmt(left)).append("\" y1=\"").append(fmt(y)).append("\" x2=\"")
                .append(fmt(left)).append("\" y2=\"").append(fmt(y + h)).append("\" stroke=\"#444\"/>\n");
        double total = bucketSeconds * n;
        int ticks = 6;
        for (int t = 0; t <= ticks; t++) {
            double x = left + w * t / ticks;
            b.append("<line x1=\"").append(fmt(x)).append("\" y1=\"").append(fmt(y + h)).append("\" x2=\"")
                    .append(fmt(x)).append("\" y2=\"").append(fmt(y + h + 4)).append("\" stroke=\"#444\"/>\n");
            if (xLabels) {
                text(b, x, y + h + 17, "middle", 11, "400", seconds(total * t / ticks));
            }
        }
    }

    private static void bar(StringBuilder b, String cls, double x, double y, double w, double h, String color,
                            String tip) {
        b.append("<rect class=\"").append(cls).append("\" x=\"").append(fmt(x)).append("\" y=\"").append(fmt(y))
                .append("\" width=\"").append(fmt(w)).append("\" height=\"").append(fmt(h)).append("\" fill=\"")
                .append(color).append("\"><title>").append(esc(tip)).append("</title></rect>\n");
    }

    private static void line(StringBuilder b, String cls, List<Bucket> k, ToDoubleFunction<Bucket> f, double max,
                             double left, double y, double bw, double h, String color, boolean area) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < k.size(); i++) {
            double v = f.applyAsDouble(k.get(i));
            pts.append(i == 0 ? "" : " ").append(fmt(left + (i + 0.5) * bw)).append(',')
                    .append(fmt(y + h - scale(v, max, h)));
        }
        if (area && !k.isEmpty()) {
            b.append("<polygon points=\"").append(fmt(left + 0.5 * bw)).append(',').append(fmt(y + h)).append(' ')
                    .append(pts).append(' ').append(fmt(left + (k.size() - 0.5) * bw)).append(',')
                    .append(fmt(y + h)).append("\" fill=\"").append(color).append("\" fill-opacity=\"0.18\"/>\n");
        }
        b.append("<polyline class=\"").append(cls).append("\" points=\"").append(pts)
                .append("\" fill=\"none\" stroke=\"").append(color)
                .append("\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>\n");
    }

    private static double max(List<Bucket> k, ToDoubleFunction<Bucket> f) {
        double m = 0;
        for (Bucket x : k) {
            m = Math.max(m, f.applyAsDouble(x));
        }
        return m;
    }

    private static double scale(double v, double max, double h) {
        return max <= 0 ? 0 : Math.max(0, Math.min(h, h * v / max));
    }

    /** The smallest m × 10^k at or above {@code v}, m in 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8; 1 for 0. */
    static double niceCeil(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v * (1 - 1e-12)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static void text(StringBuilder b, double x, double y, String anchor, int size, String weight, String s) {
        b.append("<text x=\"").append(fmt(x)).append("\" y=\"").append(fmt(y)).append("\" text-anchor=\"")
                .append(anchor).append("\" font-size=\"").append(size).append('"')
                .append(weight.equals("400") ? "" : " font-weight=\"" + weight + "\"").append(" fill=\"#222\">")
                .append(esc(s)).append("</text>\n");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    private static void help(StringBuilder b) {
        b.append("""
                <details>
                <summary>How each figure is computed (docs/REPORTS.md has the full definitions)</summary>
                <ul>
                <li><b>hit ratio</b>: 1 − (bytes of successful GETs that belong to samples − prefetched bytes never read) / bytes read. The share of bytes read that did not have to come from S3 during the epoch; comparable with the simulated LRU and OPT hit ratios.</li>
                <li><b>served without waiting</b>: reads whose wait on S3 was 0, over all reads.</li>
                <li><b>wait p99</b>: the ⌈0.99·n⌉-th smallest wait over all n reads, waitless reads included.</li>
                <li><b>S3 bytes</b>: bytes requested by every GET of the epoch (failed ones and coalescing holes included). <b>read amplification</b> = S3 bytes / bytes read.</li>
                <li><b>bound (1−c)·D</b> = max(0, dataset bytes − cache bytes): on a fresh random permutation no policy, OPT included, fetches less.</li>
                <li><b>LRU, OPT</b>: the simulator replays the previous epoch's order (not counted, when known), then this epoch's reads, with the same cache capacity; each fetches on demand only. Epochs over 100,000 reads are simulated on a spatial sample of the samples (the sample rate is shown) and scaled back up.</li>
                <li><b>timeline</b>: the epoch cut into equal buckets; a read counts where it started, a GET's bytes where it started (bars) and where it completed (line).</li>
                </ul>
                </details>
                """);
    }
}

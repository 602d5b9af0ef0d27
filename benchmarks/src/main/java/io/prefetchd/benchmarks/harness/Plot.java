package io.prefetchd.benchmarks.harness;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The run's PNG: three bar charts, one bar per contender and epoch: epoch wall time (with the all-local and the
 * (1-c)·D / bandwidth lines), S3 bytes / (1-c)·D, and epoch time / the epoch's own bound with the term that binds.
 * Java2D, headless.
 */
final class Plot {
    private static final Color[] EPOCH = {new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868),
            new Color(0xC44E52), new Color(0x8172B3), new Color(0x937860)};

    private Plot() {
    }

    static void write(Report report, String title, double transferBoundSeconds, Path png) throws IOException {
        List<EpochResult> rs = report.results();
        List<String> names = new ArrayList<>(new LinkedHashSet<>(rs.stream().map(EpochResult::contender).toList()));
        int epochs = rs.stream().mapToInt(EpochResult::epoch).max().orElse(0) + 1;
        int w = 1200;
        int panel = 60 + names.size() * (epochs * 14 + 12);
        int h = 70 + 3 * (panel + 40) + 30;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 20, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int e = 0; e < epochs; e++) {
            g.setColor(EPOCH[e % EPOCH.length]);
            g.fillRect(20 + e * 90, 42, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString("epoch " + e, 36 + e * 90, 53);
        }
        double local = rs.stream().filter(r -> r.contender().equals(Report.ALL_LOCAL)).mapToDouble(
                EpochResult::wallSeconds).max().orElse(0);
        int y = 70;
        bars(g, rs, names, epochs, "epoch wall time (s)", EpochResult::wallSeconds, y, w, panel,
                new double[] {local, transferBoundSeconds}, new String[] {"all-local", "(1-c)D/bandwidth"}, r -> "");
        y += panel + 40;
        bars(g, rs, names, epochs, "S3 bytes / (1-c)D", report::s3VsMiss, y, w, panel, new double[] {1},
                new String[] {"1"}, r -> "");
        y += panel + 40;
        ToDoubleFunction<EpochResult> vsBound = r -> {
            EpochBound b = report.epochBound(r);
            return b == null ? 0 : b.ratio(r.wallSeconds());
        };
        Function<EpochResult, String> term = r -> {
            EpochBound b = report.epochBound(r);
            return b == null ? "" : " " + b.binding().label();
        };
        bars(g, rs, names, epochs, "epoch time / max(all-local, its S3 bytes / bandwidth, its GETs / measured GET rate)",
                vsBound, y, w, panel, new double[] {1}, new String[] {"1"}, term);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static void bars(Graphics2D g, List<EpochResult> rs, List<String> names, int epochs, String label,
                             ToDoubleFunction<EpochResult> value, int top, int w, int height, double[] lines,
                             String[] lineNames, Function<EpochResult, String> note) {
        int left = 170;
        int right = w - 40;
        double max = 0;
        for (EpochResult r : rs) {
            max = Math.max(max, value.applyAsDouble(r));
        }
        for (double l : lines) {
            max = Math.max(max, l);
        }
        max = max <= 0 ? 1 : max * 1.1;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(label, left, top + 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int y = top + 30;
        int plotTop = y;
        for (String n : names) {
            g.setColor(Color.BLACK);
            g.drawString(n, 20, y + epochs * 7 + 4);
            for (int e = 0; e < epochs; e++) {
                for (EpochResult r : rs) {
                    if (r.contender().equals(n) && r.epoch() == e) {
                        double v = value.applyAsDouble(r);
                        int len = (int) ((right - left) * v / max);
                        g.setColor(EPOCH[e % EPOCH.length]);
                        g.fillRect(left, y + e * 14, Math.max(1, len), 12);
                        g.setColor(Color.DARK_GRAY);
                        g.drawString(String.format(Locale.ROOT, "%.2f", v) + note.apply(r), left + len + 4,
                                y + e * 14 + 11);
                    }
                }
            }
            y += epochs * 14 + 12;
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, plotTop - 4, left, y);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
        for (int i = 0; i < lines.length; i++) {
            if (lines[i] <= 0) {
                continue;
            }
            int x = left + (int) ((right - left) * lines[i] / max);
            g.setColor(Color.GRAY);
            g.drawLine(x, plotTop - 4, x, y);
            g.drawString(lineNames[i], x + 3, y + 12 + i * 13);
        }
        g.setStroke(new BasicStroke(1));
    }
}

package io.prefetchd.gateway.reports;

import io.prefetchd.gateway.testing.Chromium;
import io.prefetchd.planner.report.EpochLog;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.prefetchd.gateway.reports.ReportsTestSupport.count;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The reports page as a browser shows it: Debian's chromium, headless, parses the page (the DOM must hold every
 * plot with one bar or point per timeline bucket, and its labels) and renders it (the PNG must show the bars in
 * their colours). The screenshot is kept at {@code target/reports-page.png} for a person to look at.
 */
class ReportPageIT {
    private static final int BUCKETS = Reports.TIMELINE_BUCKETS;
    private static List<EpochReport> reports;

    /** Epoch 1 without hints (cold, waits), epoch 2 with hints (warm), and epoch 3 in progress. */
    @BeforeAll
    static void fixtures() {
        Random random = new Random(42);
        int[] previous = ReportFixtures.permutation(random);
        reports = new ArrayList<>();
        long d = ReportFixtures.SAMPLES * ReportFixtures.SAMPLE_BYTES;
        for (int epoch = 1; epoch <= 2; epoch++) {
            int[] order = ReportFixtures.permutation(random);
            EpochLog log = new EpochLog("imagenet-mini", "resnet50", epoch, epoch * 100_000 * ReportFixtures.MS,
                    d / 2, d, epoch == 2);
            ReportFixtures.record(log, order, random);
            reports.add(Reports.build(log, ReportFixtures.dataset(), previous)
                    .withFinishedAt("2026-11-22T01:0" + epoch + ":00Z"));
            previous = order;
        }
        EpochLog running = new EpochLog("imagenet-mini", "resnet50", 3, 0, d / 2, d, true);
        running.read(ReportFixtures.MS, 5, ReportFixtures.SAMPLE_BYTES, 0);
        running.fetch(0, 30 * ReportFixtures.MS, "train/shard-0.tar", 0, 100_000, 100_000, false, true);
        reports.add(Reports.withoutCounterfactual(running, "epoch in progress"));
    }

    private static Chromium chromium() {
        Chromium chromium = Chromium.locate();
        Prerequisites.require(chromium.isAvailable(), chromium.unavailableReason());
        return chromium;
    }

    @Test
    void dom_hasEveryPlot_withOneBarOrPointPerBucket_andLabelledAxes(@TempDir Path dir) throws Exception {
        Chromium chromium = chromium();
        Path page = Files.writeString(dir.resolve("reports.html"), Reports.html(reports));
        String dom = chromium.dumpDom(page, dir.resolve("profile"));

        assertEquals(3, count(dom, "<section class=\"epoch\""), "one section per epoch");
        assertEquals(3, count(dom, "<svg class=\"timeline\""));
        for (String bar : new String[] {"bar-nowait", "bar-waited", "bar-wait", "bar-get"}) {
            assertEquals(3 * BUCKETS, count(dom, "<rect class=\"" + bar + "\""), bar);
        }
        for (String line : new String[] {"completed", "inflight"}) {
            Matcher m = Pattern.compile("<polyline class=\"" + line + "\" points=\"([^\"]*)\"").matcher(dom);
            int lines = 0;
            while (m.find()) {
                assertEquals(BUCKETS, m.group(1).trim().split(" ").length, line + " points");
                lines++;
            }
            assertEquals(3, lines, line);
        }
        assertEquals(3, count(dom, "<svg class=\"policies\""));
        // ours, LRU, OPT, bound for the completed epochs; ours and the bound for the running one
        assertEquals(4 + 4 + 2, count(dom, "class=\"policy-bar\""));
        for (String label : new String[] {"ours (gateway)", "LRU (simulated)", "OPT (simulated)", "bound (1−c)·D"}) {
            assertTrue(count(dom, ">" + label + "<") >= 2, label);
        }
        assertEquals(3, count(dom, ">seconds since the epoch started<"));
        assertEquals(3, count(dom, ">bytes fetched from S3 (decimal units)<"));
        assertEquals(3, count(dom, ">reads per bucket<"));
        assertEquals(3, count(dom, ">wait on S3 per bucket<"));
        assertTrue(dom.contains(">in progress<"));
        assertFalse(dom.contains("<script"));
    }

    @Test
    void screenshot_showsTheBarsInTheirColours(@TempDir Path dir) throws Exception {
        Chromium chromium = chromium();
        Path page = Files.writeString(dir.resolve("reports.html"), Reports.html(reports));
        Path png = dir.resolve("reports.png");
        chromium.screenshot(page, png, 1200, 1600, dir.resolve("profile"));
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.copy(png, target.resolve("reports-page.png"), StandardCopyOption.REPLACE_EXISTING);
        }
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1200, image.getWidth());
        assertEquals(1600, image.getHeight());
        long nonWhite = 0;
        long[] colours = new long[4];
        int[][] wanted = {{0x4e, 0x79, 0xa7}, {0xf2, 0x8e, 0x2b}, {0xe1, 0x57, 0x59}, {0x59, 0xa1, 0x4f}};
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = rgb >> 16 & 0xff;
                int g = rgb >> 8 & 0xff;
                int b = rgb & 0xff;
                if (r < 245 || g < 245 || b < 245) {
                    nonWhite++;
                }
                for (int k = 0; k < wanted.length; k++) {
                    if (Math.abs(r - wanted[k][0]) <= 6 && Math.abs(g - wanted[k][1]) <= 6
                            && Math.abs(b - wanted[k][2]) <= 6) {
                        colours[k]++;
                    }
                }
            }
        }
        assertTrue(nonWhite > 0.05 * image.getWidth() * image.getHeight(), "blank page? " + nonWhite);
        String[] names = {"blue (reads without waiting, ours)", "orange (reads that waited)", "red (wait time)",
                "green (GET bytes, OPT)"};
        for (int k = 0; k < wanted.length; k++) {
            assertTrue(colours[k] > 2_000, names[k] + ": " + colours[k] + " pixels");
        }
    }
}

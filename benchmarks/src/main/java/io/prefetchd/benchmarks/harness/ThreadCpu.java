package io.prefetchd.benchmarks.harness;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * CPU time of one process's threads, from {@code /proc/PID/task/TID/stat}, grouped by thread name with its trailing
 * numbers cut ({@code qtp123-45} and {@code qtp123-46} are one group {@code qtp}). {@link #since} attributes the CPU
 * used between two snapshots to the groups; threads that ended in between are counted under {@value #ENDED}, from the
 * process's total. Linux only: elsewhere the snapshot is empty.
 *
 * @param total the process's user + system time, in seconds
 * @param threads per thread id: its group and its user + system time, in seconds
 */
record ThreadCpu(double total, Map<Long, Sample> threads) {
    static final String ENDED = "(threads ended meanwhile)";
    /** USER_HZ: the unit of the times in {@code stat}; 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    record Sample(String group, double seconds) {
    }

    ThreadCpu {
        threads = Map.copyOf(requireNonNull(threads, "threads is null"));
    }

    static ThreadCpu of(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        Map<Long, Sample> threads = new HashMap<>();
        double total = 0;
        try {
            total = seconds(Files.readString(proc.resolve("stat")));
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
                for (Path task : tasks) {
                    try {
                        String stat = Files.readString(task.resolve("stat"));
                        threads.put(Long.parseLong(task.getFileName().toString()),
                                new Sample(group(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))),
                                        seconds(stat)));
                    } catch (IOException | RuntimeException e) {
                        // the thread ended while listed
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return new ThreadCpu(0, Map.of());
        }
        return new ThreadCpu(total, threads);
    }

    /** CPU seconds per group between {@code before} and this snapshot, largest first. */
    Map<String, Double> since(ThreadCpu before) {
        Map<String, Double> groups = new HashMap<>();
        double attributed = 0;
        for (Map.Entry<Long, Sample> t : threads.entrySet()) {
            Sample earlier = before.threads.get(t.getKey());
            double used = t.getValue().seconds() - (earlier == null ? 0 : earlier.seconds());
            groups.merge(t.getValue().group(), used, Double::sum);
            attributed += used;
        }
        groups.put(ENDED, Math.max(0, total - before.total - attributed));
        Map<String, Double> sorted = new LinkedHashMap<>();
        groups.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** Total seconds between {@code before} and this snapshot. */
    double secondsSince(ThreadCpu before) {
        return total - before.total;
    }

    /** utime + stime (fields 14 and 15) of a {@code stat} line, whose name field may hold spaces. */
    private static double seconds(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state): utime is field 14, stime 15
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    private static String group(String name) {
        String g = name.replaceAll("[-#_ ]?\\d+$", "");
        while (!g.equals(name)) {
            name = g;
            g = name.replaceAll("[-#_ ]?\\d+$", "");
        }
        return g.isEmpty() ? name : g;
    }
}

package io.prefetchd.gateway.fleet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

/**
 * One epoch of one job on one dataset across the fleet: the figures of every member that served some of its reads,
 * and their sums. A member that is down still counts with the figures it published.
 *
 * @param members each member's figures, by member address
 */
public record FleetEpoch(String dataset, String datasetPath, String datasetFormat, String job, int epoch,
                         List<MemberEpoch> members) {
    public FleetEpoch {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(datasetPath, "datasetPath is null");
        requireNonNull(datasetFormat, "datasetFormat is null");
        requireNonNull(job, "job is null");
        members = List.copyOf(requireNonNull(members, "members is null"));
    }

    /**
     * The fleet's epochs in {@code figures}, grouped by dataset, job and epoch, sorted by dataset, job, then epoch;
     * within an epoch, members by address. The dataset's path and format come from any member that knew them.
     */
    public static List<FleetEpoch> aggregate(Collection<MemberEpoch> figures) {
        record Key(String dataset, String job, int epoch) {
        }
        Map<Key, List<MemberEpoch>> groups = new LinkedHashMap<>();
        for (MemberEpoch m : figures) {
            groups.computeIfAbsent(new Key(m.dataset(), m.job(), m.epoch()), k -> new ArrayList<>()).add(m);
        }
        List<FleetEpoch> out = new ArrayList<>(groups.size());
        for (Map.Entry<Key, List<MemberEpoch>> g : groups.entrySet()) {
            List<MemberEpoch> ms = new ArrayList<>(g.getValue());
            ms.sort(Comparator.comparing(MemberEpoch::member));
            MemberEpoch named = ms.stream().filter(m -> !m.datasetFormat().isEmpty()).findFirst().orElse(ms.get(0));
            out.add(new FleetEpoch(g.getKey().dataset(), named.datasetPath(), named.datasetFormat(),
                    g.getKey().job(), g.getKey().epoch(), ms));
        }
        out.sort(Comparator.comparing(FleetEpoch::dataset).thenComparing(FleetEpoch::job)
                .thenComparingInt(FleetEpoch::epoch));
        return out;
    }

    /** How people name the dataset: {@code <path> (<format>)}, the root shown as {@code /}; the id when unknown. */
    public String datasetName() {
        return datasetFormat.isEmpty() ? dataset
                : (datasetPath.isEmpty() ? "/" : datasetPath) + " (" + datasetFormat + ")";
    }

    public long samplesRead() {
        return sum(MemberEpoch::samplesRead);
    }

    public long bytesRead() {
        return sum(MemberEpoch::bytesRead);
    }

    public long hitBytes() {
        return sum(MemberEpoch::hitBytes);
    }

    /** Share of the fleet's bytes read that no member fetched from S3 during the epoch; NaN without reads. */
    public double hitRatio() {
        long read = bytesRead();
        return read == 0 ? Double.NaN : (double) hitBytes() / read;
    }

    public long readsWaited() {
        return sum(MemberEpoch::readsWaited);
    }

    public long s3Gets() {
        return sum(MemberEpoch::s3Gets);
    }

    public long s3Bytes() {
        return sum(MemberEpoch::s3Bytes);
    }

    public long peerBytes() {
        return sum(MemberEpoch::peerBytes);
    }

    private long sum(ToLongFunction<MemberEpoch> figure) {
        long s = 0;
        for (MemberEpoch m : members) {
            s += figure.applyAsLong(m);
        }
        return s;
    }
}

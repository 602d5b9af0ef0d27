package io.prefetchd.gateway.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefetchd.planner.json.Json;
import io.prefetchd.planner.units.Sizes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The fleet's epochs as one member answers {@code GET /api/fleet/reports}: every epoch's figures summed over the
 * members that served it, with each member's own, as JSON ({@value #FORMAT}) or a terminal table.
 *
 * @param fleet      the fleet's name; {@code ""} when the member is not in a fleet
 * @param membersNow the fleet's members now (addresses); a member that published figures and is not among them is
 *                   down, and its figures still count
 */
public record FleetReport(String fleet, List<String> membersNow, List<FleetEpoch> epochs) {
    static final String FORMAT = "prefetchd.fleet-reports/1";

    public FleetReport {
        requireNonNull(fleet, "fleet is null");
        membersNow = List.copyOf(requireNonNull(membersNow, "membersNow is null"));
        epochs = List.copyOf(requireNonNull(epochs, "epochs is null"));
    }

    /** The answer of a gateway that is not in a fleet. */
    public static FleetReport none() {
        return new FleetReport("", List.of(), List.of());
    }

    public boolean inFleet() {
        return !fleet.isEmpty();
    }

    /** Whether the member at {@code address} is in the fleet now. */
    public boolean isUp(String address) {
        return membersNow.contains(address);
    }

    /** The document: the fleet's sums per epoch for readers, each member's figures (all that is read back). */
    public String toJson() {
        ObjectNode doc = Json.object().put("format", FORMAT);
        if (!inFleet()) {
            doc.putNull("fleet");
        } else {
            doc.put("fleet", fleet);
        }
        ArrayNode now = doc.putArray("members_now");
        membersNow.forEach(now::add);
        ArrayNode list = doc.putArray("epochs");
        for (FleetEpoch e : epochs) {
            ObjectNode o = list.addObject().put("dataset", e.dataset()).put("dataset_path", e.datasetPath())
                    .put("dataset_format", e.datasetFormat()).put("job", e.job()).put("epoch", e.epoch())
                    .put("members", e.members().size()).put("samples_read", e.samplesRead())
                    .put("read_bytes", e.bytesRead());
            o.set("hit_ratio", Json.number(e.hitRatio()));
            o.put("reads_waited", e.readsWaited()).put("s3_gets", e.s3Gets()).put("s3_bytes", e.s3Bytes())
                    .put("peer_bytes", e.peerBytes());
            ArrayNode per = o.putArray("per_member");
            for (MemberEpoch m : e.members()) {
                per.addObject().put("member", m.member()).put("up", isUp(m.member())).put("hinted", m.hinted())
                        .put("finished_at", m.finishedAt()).put("samples_read", m.samplesRead())
                        .put("read_bytes", m.bytesRead()).put("hit_bytes", m.hitBytes())
                        .put("reads_waited", m.readsWaited()).put("s3_gets", m.s3Gets())
                        .put("s3_bytes", m.s3Bytes()).put("peer_bytes", m.peerBytes());
            }
        }
        return Json.pretty(doc);
    }

    /** Reads {@link #toJson}'s output back; throws IllegalArgumentException naming what is wrong. */
    public static FleetReport fromJson(String json) {
        JsonNode top = Json.parse(requireNonNull(json, "json is null"));
        if (!top.isObject() || !FORMAT.equals(top.path("format").asText())) {
            throw new IllegalArgumentException("not a " + FORMAT + " document");
        }
        try {
            List<String> now = new ArrayList<>();
            top.path("members_now").forEach(n -> now.add(n.asText()));
            List<MemberEpoch> figures = new ArrayList<>();
            for (JsonNode e : top.path("epochs")) {
                for (JsonNode m : e.path("per_member")) {
                    figures.add(new MemberEpoch(text(m, "member"), text(e, "dataset"), text(e, "dataset_path"),
                            text(e, "dataset_format"), text(e, "job"), (int) number(e, "epoch"),
                            m.path("hinted").asBoolean(), text(m, "finished_at"), number(m, "samples_read"),
                            number(m, "read_bytes"), number(m, "hit_bytes"), number(m, "reads_waited"),
                            number(m, "s3_gets"), number(m, "s3_bytes"), number(m, "peer_bytes")));
                }
            }
            JsonNode fleet = top.path("fleet");
            return new FleetReport(fleet.isTextual() ? fleet.asText() : "", now, FleetEpoch.aggregate(figures));
        } catch (NullPointerException e) {
            throw new IllegalArgumentException("fleet report: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("field \"" + name + "\" must be a string");
        }
        return v.asText();
    }

    private static long number(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || !v.isIntegralNumber()) {
            throw new IllegalArgumentException("field \"" + name + "\" must be an integer");
        }
        return v.asLong();
    }

    /**
     * One block per (dataset, job): a row per epoch with the fleet's sums, then a row per member. Members that are
     * down are marked; their published figures are in the sums.
     */
    public String table() {
        if (!inFleet()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        b.append("fleet ").append(fleet).append(": ").append(membersNow.size()).append(" members now (")
                .append(String.join(", ", membersNow)).append(")\n");
        if (epochs.isEmpty()) {
            return b.append("  no completed epoch published by any member yet\n").toString();
        }
        String format = "  %-6s %-26s %10s %10s %6s %8s %10s %10s%n";
        String last = null;
        for (FleetEpoch e : epochs) {
            String block = e.datasetName() + " / " + e.job();
            if (!block.equals(last)) {
                b.append(block).append(" (fleet)\n");
                b.append(String.format(Locale.ROOT, format, "epoch", "member", "reads", "read", "hit", "GETs",
                        "S3 bytes", "peer bytes"));
                last = block;
            }
            b.append(String.format(Locale.ROOT, format, e.epoch(), "all " + e.members().size(), e.samplesRead(),
                    Sizes.format(e.bytesRead()), percent(e.hitRatio()), e.s3Gets(), Sizes.format(e.s3Bytes()),
                    Sizes.format(e.peerBytes())));
            for (MemberEpoch m : e.members()) {
                double hit = m.bytesRead() == 0 ? Double.NaN : (double) m.hitBytes() / m.bytesRead();
                b.append(String.format(Locale.ROOT, format, "", m.member() + (isUp(m.member()) ? "" : " (down)"),
                        m.samplesRead(), Sizes.format(m.bytesRead()), percent(hit), m.s3Gets(),
                        Sizes.format(m.s3Bytes()), Sizes.format(m.peerBytes())));
            }
        }
        return b.toString();
    }

    private static String percent(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
    }
}

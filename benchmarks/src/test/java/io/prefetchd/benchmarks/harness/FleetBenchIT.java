package io.prefetchd.benchmarks.harness;

import com.fasterxml.jackson.databind.JsonNode;
import io.prefetchd.planner.json.Json;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@code benchmarks/run-fleet --size quick} end to end (three gateway daemons in a fleet, then three independent
 * ones, one hinted job of three ranks, over one emulated S3 with a 10 ms first byte) and checks that every sample of
 * every epoch was read with the right bytes, that fleet.json has its parameters, one row per setup and epoch with
 * every figure, and the warm epochs' summary, and the product's claim: in the warm epochs the fleet, whose caches add
 * up, fetches fewer bytes from S3 than the independent gateways, each of whose caches holds a third of what its rank
 * reads next. Comparisons within one run, never a time.
 */
class FleetBenchIT {
    private static final List<String> ROW_FIELDS = List.of("setup", "epoch", "seconds", "s3_gets", "s3_bytes",
            "ideal_s3_bytes", "peer_bytes", "peer_fallbacks", "samples", "samples_ok", "bad_bytes", "errors");

    @Test
    void quickRun_fleetFetchesLessThanIndependentGateways_inWarmEpochs() throws Exception {
        Path out = Path.of("target", "fleet-bench-it");
        FleetBench bench = new FleetBench();
        new CommandLine(bench).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--size", "quick",
                "--latency-ms", "10", "--jitter-ms", "2", "--daemon-heap", "256m", "--out", out.toString());
        FleetBench.Outcome o = bench.execute();

        int samples = o.dataset().samples().size();
        assertEquals(6, o.rows().size(), "3 epochs of each setup: " + o.rows());
        for (FleetBench.Row r : o.rows()) {
            String what = r.setup() + " epoch " + r.epoch();
            assertEquals(samples, r.samples(), what);
            assertEquals(samples, r.samplesOk(), what + ": every sample with the right bytes (" + r.errors()
                    + " failed, " + r.badBytes() + " wrong)");
            if (r.setup().equals(FleetBench.INDEPENDENT)) {
                assertEquals(0, r.peerBytes(), what + ": independent gateways have no peers");
            }
        }
        FleetBench.Row fleetCold = row(o, FleetBench.FLEET, 0);
        assertTrue(fleetCold.s3Bytes() > 0 && fleetCold.peerBytes() > 0,
                "the cold epoch reads S3, and ranks read other members' grains through them: " + fleetCold);
        double fleet = FleetBench.warmS3Bytes(o.rows(), FleetBench.FLEET);
        double independent = FleetBench.warmS3Bytes(o.rows(), FleetBench.INDEPENDENT);
        System.out.printf("FleetBenchIT: warm epochs' mean S3 bytes: fleet %.0f, independent %.0f%n", fleet,
                independent);
        assertTrue(fleet < independent, "the fleet's caches add up: warm S3 bytes " + fleet + " vs " + independent
                + " for independent gateways");

        JsonNode doc = Json.parse(Files.readString(o.json()));
        assertEquals("QUICK", doc.get("parameters").get("size").asText());
        assertEquals(3, doc.get("parameters").get("gateways").asInt());
        assertEquals(o.cacheBytes(), doc.get("parameters").get("cache_bytes_per_gateway").asLong());
        JsonNode rows = doc.get("rows");
        assertEquals(6, rows.size());
        for (JsonNode row : rows) {
            List<String> fields = new ArrayList<>();
            row.fieldNames().forEachRemaining(fields::add);
            assertEquals(ROW_FIELDS, fields);
        }
        JsonNode warm = doc.get("warm_epochs");
        assertEquals(fleet, warm.get("fleet_s3_bytes_mean").asDouble(), 1e-6);
        assertEquals(independent, warm.get("independent_s3_bytes_mean").asDouble(), 1e-6);
        assertTrue(warm.get("fleet_ideal_s3_bytes").asLong() < warm.get("independent_ideal_s3_bytes").asLong());
        assertTrue(Files.readString(out.resolve("table.txt")).contains("fleet / independent"));
    }

    private static FleetBench.Row row(FleetBench.Outcome o, String setup, int epoch) {
        return o.rows().stream().filter(r -> r.setup().equals(setup) && r.epoch() == epoch).findFirst()
                .orElseThrow(() -> new AssertionError(setup + " has no epoch " + epoch));
    }
}

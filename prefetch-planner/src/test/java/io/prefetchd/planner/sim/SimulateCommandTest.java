package io.prefetchd.planner.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prefetchd simulate} as a user runs it. */
final class SimulateCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return SimulateCommand.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void simulate_smallRun_printsOneRowPerPolicyWithTheBounds() {
        assertEquals(0, run("--samples", "400", "--epochs", "3"));
        String table = out.toString();
        for (String policy : new String[] {"lru", "w-tinylfu", "opt", "pin-c", "ours-hints", "ours-learned"}) {
            assertTrue(table.contains("\n" + policy + " "), policy + " missing in\n" + table);
        }
        assertTrue(table.contains("bounds per epoch: all-local"), table);
    }

    @Test
    void simulate_json_listsThePoliciesAsked() {
        assertEquals(0, run("--samples", "300", "--epochs", "2", "--policies", "opt,ours-hints", "--json"));
        String json = out.toString();
        assertTrue(json.startsWith("{"), json);
        assertTrue(json.contains("\"policy\": \"opt\"") && json.contains("\"policy\": \"ours-hints\""), json);
        assertTrue(!json.contains("\"policy\": \"lru\""), json);
    }

    @Test
    void simulate_jsonOut_writesTheReport(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("report.json");
        assertEquals(0, run("--samples", "200", "--epochs", "2", "--policies", "pin-c", "--workload", "parquet",
                "--row-groups-per-file", "8", "--json-out", file.toString()));
        assertTrue(Files.readString(file).contains("\"workload\": \"parquet\""));
    }

    @Test
    void simulate_exportedTraceCsv_isReplayedOverGivenExtents(@TempDir Path dir) throws Exception {
        Path extents = dir.resolve("extents.csv");
        Path reads = dir.resolve("reads.csv");
        Files.writeString(extents, "sample,object,offset,length\n0,a,0,100\n1,a,100,100\n2,b,0,50\n");
        String header = "time,time_ns,client_id,client_address,object_key,etag,file_id,byte_offset,byte_length,"
                + "outcome,s3_wait_ns,dataset,job,epoch,sample,rank\r\n";
        StringBuilder b = new StringBuilder(header);
        int[][] epochs = {{0, 1, 2}, {2, 0, 1}};
        long t = 1;
        for (int e = 0; e < epochs.length; e++) {
            for (int s : epochs[e]) {
                b.append("x,").append(t++).append(",1,\"10.0.0.1:1\",a,e,1,0,100,CACHE_HIT,0,ds,job,").append(e)
                        .append(',').append(s).append(",-1\r\n");
            }
        }
        Files.writeString(reads, b);
        assertEquals(0, run("--trace", reads.toString(), "--extents", extents.toString(), "--policies", "opt",
                "--cache-fraction", "1"), err.toString());
        assertTrue(out.toString().contains("opt           100.00%"), out.toString());
    }

    @Test
    void simulate_oldTwoColumnReads_isRefusedNamingTheFormat(@TempDir Path dir) throws Exception {
        Path reads = dir.resolve("reads.csv");
        Files.writeString(reads, "epoch,sample\n0,0\n");
        assertEquals(2, run("--trace", reads.toString()));
        assertTrue(err.toString().contains("not a trace exported by 'prefetchd trace export --csv'"), err.toString());
    }

    @Test
    void simulate_badDuration_exitsWith2AndSaysWhy() {
        assertEquals(2, run("--latency", "forty"));
        assertTrue(err.toString().contains("not a duration: 'forty'"), err.toString());
    }

    @Test
    void simulate_unknownPolicy_exitsWith2() {
        assertEquals(2, run("--policies", "arc"));
        assertTrue(err.toString().contains("unknown policy 'arc'"), err.toString());
    }

    @Test
    void simulate_noEpochLeftToMeasure_exitsWith2() {
        assertEquals(2, run("--epochs", "1"));
        assertTrue(err.toString().contains("leaves no epoch"), err.toString());
    }

    @Test
    void simulate_help_exitsWith0() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("--cache-fraction"));
    }
}

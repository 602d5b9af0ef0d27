package io.prefetchd.formats.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetIndexer;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.Extent;
import io.prefetchd.formats.RangeSource;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code index} run as its own JVM with nothing but the module's runtime classpath (parquet-format-structures
 * and picocli): Parquet indexing works without Hadoop, and the JSON it prints is the in-process index.
 */
class IndexCommandIT {
    @TempDir
    Path tmp;

    @Test
    void parquetIndex_runsWithoutHadoopOnTheClasspath_andPrintsTheSameExtents() throws Exception {
        String runtime = Files.readString(Path.of(System.getProperty("formats.runtimeClasspathFile"))).trim();
        assertFalse(runtime.contains("hadoop"), runtime);
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { required int64 id; required binary name (UTF8); }");
        SimpleGroupFactory f = new SimpleGroupFactory(schema);
        Path file = tmp.resolve("data/part-0.parquet");
        Files.createDirectories(file.getParent());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).withRowGroupRowCountLimit(300)
                .withPageRowCountLimit(40).build()) {
            for (long i = 0; i < 1000; i++) {
                w.write(f.newGroup().append("id", i).append("name", "n" + (i % 13)));
            }
        }

        Path out = tmp.resolve("out.json");
        Path err = tmp.resolve("err.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx128m", "-cp",
                System.getProperty("formats.classes") + File.pathSeparator + runtime,
                IndexCommand.class.getName(), tmp.resolve("data").toString(), "--format", "parquet", "--json",
                "--columns", "name")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        int rc = p.waitFor();

        String stderr = Files.readString(err, UTF_8);
        assertEquals(0, rc, stderr);
        assertTrue(stderr.contains("samples     1,000"), stderr);
        DatasetIndex expected = DatasetIndexer.create(RangeSource.localFolder(tmp.resolve("data")), Runnable::run, 1,
                Clock.systemUTC()).build(DatasetSpec.parquet("", List.of("name"))).index();
        Matcher m = Pattern.compile("\\{\"sample\":(\\d+),\"key\":\"[^\"]+\",\"extents\":\\[([^\\]]*)]}")
                .matcher(Files.readString(out, UTF_8));
        Pattern extent = Pattern.compile("\\{\"object\":\"([^\"]+)\",\"offset\":(\\d+),\"length\":(\\d+)}");
        int n = 0;
        while (m.find()) {
            List<Extent> got = new ArrayList<>();
            Matcher e = extent.matcher(m.group(2));
            while (e.find()) {
                got.add(new Extent(e.group(1), Long.parseLong(e.group(2)), Long.parseLong(e.group(3))));
            }
            assertEquals(expected.extents(Long.parseLong(m.group(1))), got);
            n++;
        }
        assertEquals(1000, n);
    }
}

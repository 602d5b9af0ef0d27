package io.prefetchd.planner.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;

/**
 * The JSON documents prefetchd writes for people and scripts (reports, simulation results, benchmark runs), all
 * through one Jackson setup: two-space indent, {@code "name": value}, one array element a line, a final newline.
 * JSON has no NaN or infinity, so a non-finite double is written as {@code null}. Parse errors name the offset,
 * line and column, and what was wrong.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .addModule(new SimpleModule("finite-doubles")
                    .addSerializer(Double.class, new FiniteDoubles())
                    .addSerializer(Double.TYPE, new FiniteDoubles()))
            .build();
    private static final ObjectWriter PRETTY = MAPPER.writer(prettyPrinter());

    private Json() {
    }

    /** A new empty object node; fields keep the order they are put in. */
    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** A new empty array node. */
    public static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /** {@code v} as a number node, or a null node when it is NaN or infinite. */
    public static JsonNode number(double v) {
        return Double.isFinite(v) ? JsonNodeFactory.instance.numberNode(v) : JsonNodeFactory.instance.nullNode();
    }

    /** {@code value} (a node, a map, a list, a record ...) as indented JSON ending in a newline. */
    public static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} on one line, without a final newline. */
    public static String compact(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The tree of one JSON document; integers are read as longs. Throws IllegalArgumentException
     * {@code bad JSON at offset N (line L, column C): what} for text that is not one well-formed JSON value.
     */
    public static JsonNode parse(String text) {
        try {
            JsonNode root = MAPPER.readTree(text);
            if (root == null || root.isMissingNode()) {
                throw new IllegalArgumentException("bad JSON at offset 0 (line 1, column 1): no value");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at offset " + at.getCharOffset() + " (line " + at.getLineNr()
                    + ", column " + at.getColumnNr() + ")";
            throw new IllegalArgumentException("bad JSON" + where + ": " + e.getOriginalMessage(), e);
        }
    }

    private static DefaultPrettyPrinter prettyPrinter() {
        Separators separators = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(separators);
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        return printer;
    }

    /** Writes NaN and infinities as null rather than as the strings Jackson would write. */
    private static final class FiniteDoubles extends StdSerializer<Double> {
        FiniteDoubles() {
            super(Double.class);
        }

        @Override
        public void serialize(Double v, JsonGenerator g, SerializerProvider provider) throws IOException {
            if (Double.isFinite(v)) {
                g.writeNumber(v);
            } else {
                g.writeNull();
            }
        }
    }
}

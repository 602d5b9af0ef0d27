package io.prefetchd.gateway.daemon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon has one composition root, {@link Assembly}: Micronaut's factory only hands its parts to the HTTP
 * controllers. A part built in {@link DaemonFactory} (a {@code new}, or a static factory of ours such as
 * {@code ReportStore.open}) fails here with its line, as does a bean method that takes anything but the assembly.
 */
class DaemonFactoryTest {
    private static final Path SOURCE = Path.of(System.getProperty("user.dir"))
            .resolve("src/main/java/io/prefetchd/gateway/daemon/DaemonFactory.java");
    /** What the factory may build or call itself: the metrics registry, and the Micronaut and JDK around it. */
    private static final List<String> FOREIGN = List.of("io.micrometer.", "io.micronaut.", "java.");
    /** Our classes the factory may call: the root, the listener check that precedes it, the build's metrics. */
    private static final Set<String> OURS_ALLOWED = Set.of("Assembly", "Listeners", "BuildInfo");
    private static final Pattern NEW = Pattern.compile("\\bnew\\s+([A-Za-z_][\\w.]*)");
    private static final Pattern STATIC_CALL = Pattern.compile("\\b([A-Z]\\w*)\\s*\\.\\s*[a-z]\\w*\\s*\\(");

    @Test
    void factory_constructsNothingOfOurs() throws IOException {
        List<String> lines = Files.readAllLines(SOURCE);
        Map<String, String> imports = imports(lines);
        List<String> built = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = code(lines.get(i));
            Matcher m = NEW.matcher(line);
            while (m.find()) {
                if (!foreign(qualified(m.group(1), imports))) {
                    built.add("DaemonFactory.java:" + (i + 1) + ": " + line.strip());
                }
            }
            Matcher c = STATIC_CALL.matcher(line);
            while (c.find()) {
                String type = c.group(1);
                if (!OURS_ALLOWED.contains(type) && !foreign(qualified(type, imports))) {
                    built.add("DaemonFactory.java:" + (i + 1) + ": " + line.strip());
                }
            }
        }
        assertTrue(lines.size() > 20, SOURCE + " looks empty");
        assertEquals(List.of(), built, "parts of the daemon are built in Assembly, not in the Micronaut factory");
    }

    @Test
    void beanMethods_ofOurTypes_onlyHandOutPartsOfTheAssembly() {
        List<String> wrong = new ArrayList<>();
        for (Method m : DaemonFactory.class.getDeclaredMethods()) {
            Class<?> type = m.getReturnType();
            boolean ours = type.getName().startsWith("io.prefetchd.");
            if (m.isSynthetic() || !ours || type == Assembly.class || type == Listeners.class
                    || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            if (m.getParameterCount() != 1 || m.getParameterTypes()[0] != Assembly.class) {
                wrong.add(m.getName());
            }
        }
        assertEquals(List.of(), wrong, "a bean of ours comes from the assembly and from nothing else");
    }

    private static boolean foreign(String qualified) {
        return FOREIGN.stream().anyMatch(qualified::startsWith);
    }

    /** {@code name} qualified by the imports, else by java.lang or this package. */
    private static String qualified(String name, Map<String, String> imports) {
        if (name.contains(".") && Character.isLowerCase(name.charAt(0))) {
            return name;
        }
        String outer = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
        if (imports.containsKey(outer)) {
            return imports.get(outer);
        }
        try {
            Class.forName("java.lang." + outer);
            return "java.lang." + outer;
        } catch (ClassNotFoundException e) {
            return "io.prefetchd.gateway.daemon." + outer;
        }
    }

    private static Map<String, String> imports(List<String> lines) {
        Map<String, String> imports = new HashMap<>();
        for (String l : lines) {
            Matcher m = Pattern.compile("^import\\s+([\\w.]+)\\.(\\w+);").matcher(l.strip());
            if (m.matches()) {
                imports.put(m.group(2), m.group(1) + "." + m.group(2));
            }
        }
        return imports;
    }

    /** The line without its comment and string literals, which may mention anything. */
    private static String code(String line) {
        String s = line.strip();
        if (s.startsWith("*") || s.startsWith("/*") || s.startsWith("//")) {
            return "";
        }
        return s.replaceAll("\"([^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("//.*$", "");
    }
}

package io.prefetchd.tracer;

/**
 * Arrow Java on JDK 17 needs {@code java.nio} opened to it ({@code --add-opens=java.base/java.nio=ALL-UNNAMED}):
 * without it, writing and reading record batches fails deep inside Arrow with a misleading message. This check
 * turns that into one clear error at start. Stateless.
 */
final class ArrowAccess {
    static final String FLAG = "--add-opens=java.base/java.nio=ALL-UNNAMED";

    private ArrowAccess() {
    }

    /** @throws IllegalStateException naming the JVM flag, if {@code java.nio} is not open to Arrow */
    static void check() {
        Module arrow = org.apache.arrow.memory.ArrowBuf.class.getModule();
        if (!Object.class.getModule().isOpen("java.nio", arrow)) {
            throw new IllegalStateException("Arrow needs the JVM option " + FLAG
                    + " (java.nio is not open to " + (arrow.isNamed() ? arrow.getName() : "the class path") + ")");
        }
    }
}

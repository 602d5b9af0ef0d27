package io.prefetchd.gateway.daemon;

/** The daemon cannot start; the message is the one line the user sees. */
public final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }

    public StartupException(String message) {
        super(message);
    }
}

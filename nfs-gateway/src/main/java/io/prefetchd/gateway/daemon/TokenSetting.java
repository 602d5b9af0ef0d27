package io.prefetchd.gateway.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A secret given as {@code <prefix>.token} or in the file {@code <prefix>.token-file} (e.g. a mounted Kubernetes
 * secret), read once at start. Errors name the setting, never the secret.
 */
final class TokenSetting {
    private TokenSetting() {
    }

    /**
     * The token: {@code token}, else the one line of {@code tokenFile}, else empty (none).
     *
     * @throws StartupException when both are set, or the file cannot be read or does not hold one line
     */
    static String read(String prefix, String token, String tokenFile) {
        if (!token.isBlank()) {
            if (!tokenFile.isBlank()) {
                throw new StartupException("set " + prefix + ".token or " + prefix + ".token-file, not both");
            }
            return token.strip();
        }
        if (tokenFile.isBlank()) {
            return "";
        }
        Path file = Path.of(tokenFile);
        try {
            String read = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (read.isEmpty() || read.contains("\n")) {
                throw new StartupException(prefix + ".token-file " + file + " must hold the token on one line");
            }
            return read;
        } catch (IOException e) {
            throw new StartupException("cannot read " + prefix + ".token-file " + file + ": " + e.getMessage(), e);
        }
    }
}

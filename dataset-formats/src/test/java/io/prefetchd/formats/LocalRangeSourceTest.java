package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRangeSourceTest extends RangeSourceContract {
    @TempDir
    Path tmp;

    @Override
    protected RangeSource sourceWith(Map<String, byte[]> objects) throws Exception {
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            Fixtures.write(tmp.resolve(e.getKey()), e.getValue());
        }
        return RangeSource.localFolder(tmp);
    }

    @Test
    void head_ofAKeyEscapingTheRoot_isRefused() {
        assertThrows(IOException.class, () -> RangeSource.localFolder(tmp.resolve("b")).head("../a.bin"));
    }
}

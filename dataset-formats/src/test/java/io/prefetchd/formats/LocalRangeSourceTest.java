package io.prefetchd.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    void list_isInKeyOrder_whereAFolderSortsAfterNamesThatExtendIt() throws Exception {
        for (String k : List.of("x/a/b.bin", "x/a.bin", "x/a-b.bin", "x/a0.bin", "x/a/a.bin", "x/\u00e9.bin")) {
            Fixtures.write(tmp.resolve(k), new byte[1]);
        }
        List<String> keys = new ArrayList<>();
        RangeSource.localFolder(tmp).list("x/", o -> keys.add(o.key()));

        // '-' and '.' sort before '/', '0' after it
        assertEquals(List.of("x/a-b.bin", "x/a.bin", "x/a/a.bin", "x/a/b.bin", "x/a0.bin", "x/\u00e9.bin"), keys);
    }

    @Test
    void head_ofAKeyEscapingTheRoot_isRefused() {
        assertThrows(IOException.class, () -> RangeSource.localFolder(tmp.resolve("b")).head("../a.bin"));
    }
}

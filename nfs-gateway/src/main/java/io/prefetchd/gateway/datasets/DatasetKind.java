package io.prefetchd.gateway.datasets;

import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.Format;

import java.util.Locale;
import java.util.Optional;

/**
 * The dataset formats users name (hint API {@code format}, {@code --dataset FORMAT:PATH}) and the index they
 * get: {@code imagefolder} and {@code files} are both file-per-sample, in torchvision ImageFolder order and in
 * sorted key order.
 */
public enum DatasetKind {
    IMAGEFOLDER(Format.FILES, FileLayout.IMAGE_FOLDER),
    FILES(Format.FILES, FileLayout.SORTED),
    WEBDATASET(Format.WEBDATASET, FileLayout.SORTED),
    PARQUET(Format.PARQUET, FileLayout.SORTED);

    /** The accepted names, for error messages. */
    public static final String NAMES = "imagefolder, webdataset, parquet, files";

    private final Format format;
    private final FileLayout layout;

    DatasetKind(Format format, FileLayout layout) {
        this.format = format;
        this.layout = layout;
    }

    public Format format() {
        return format;
    }

    public FileLayout layout() {
        return layout;
    }

    /** Lower-case name as users write it. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind named {@code name} (case-insensitive), or empty. */
    public static Optional<DatasetKind> byName(String name) {
        for (DatasetKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name.strip())) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}

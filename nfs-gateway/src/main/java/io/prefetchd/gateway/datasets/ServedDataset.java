package io.prefetchd.gateway.datasets;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.Format;

import static java.util.Objects.requireNonNull;

/**
 * A dataset the gateway serves and has indexed. Its identity, as people see it, is its path in the export and its
 * format ({@link #displayName()}: {@code imagefolder/train (imagefolder)}); the id is a secondary, stable handle.
 *
 * @param id stable id ({@code ds-} and 12 hex digits of a hash of the spec): the same spec gets the same id
 *     across restarts. It is the {@code dataset_id} of the hint API and the {@code datasetId} of every
 *     {@link io.prefetchd.planner.HintSink.PublishedOrder} about this dataset
 * @param exportPath where the dataset is inside the export, without leading or trailing {@code /}
 *     ({@code ""} is the export root), e.g. {@code imagefolder/train}
 * @param spec what was indexed; its location is the full S3 key prefix (the export's prefix included)
 * @param index the index; its object keys are full S3 keys of the gateway's bucket
 */
public record ServedDataset(String id, String exportPath, DatasetSpec spec, DatasetIndex index) {
    public ServedDataset {
        requireNonNull(id, "id is null");
        requireNonNull(exportPath, "exportPath is null");
        requireNonNull(spec, "spec is null");
        requireNonNull(index, "index is null");
    }

    /** The format as users name it: {@code imagefolder}, {@code files}, {@code webdataset} or {@code parquet}. */
    public String formatName() {
        return spec.format() == Format.FILES && spec.layout() == FileLayout.IMAGE_FOLDER
                ? DatasetKind.IMAGEFOLDER.cliName() : spec.format().cliName();
    }

    /** {@code <export path> (<format>)}, the export root shown as {@code /}: how status pages and logs name it. */
    public String displayName() {
        return (exportPath.isEmpty() ? "/" : exportPath) + " (" + formatName() + ")";
    }

    /** The number of samples: sample indices of hints are below it. */
    public long sampleCount() {
        return index.sampleCount();
    }
}

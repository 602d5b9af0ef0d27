package io.prefetchd.gateway.datasets;

import io.prefetchd.formats.DatasetIndex;
import io.prefetchd.formats.DatasetSpec;

import static java.util.Objects.requireNonNull;

/**
 * A dataset the gateway serves and has indexed.
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

    /** The number of samples: sample indices of hints are below it. */
    public long sampleCount() {
        return index.sampleCount();
    }
}

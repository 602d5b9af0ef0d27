package io.prefetchd.gateway.daemon;

import io.prefetchd.formats.ObjectRef;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/** Which folder of the export holds a dataset's names, and how deep: what {@link S3FileSystem#pinDataset} needs. */
final class DatasetNames {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetNames.class);

    private DatasetNames() {
    }

    /**
     * Pins the dataset's folder: the whole tree of a folder dataset; the folder (one level) of a single object or
     * a WebDataset brace pattern. A failed listing is logged; the dataset is then served by the ordinary
     * per-directory rules.
     */
    static void pin(S3FileSystem fs, ServedDataset d, Runnable onChange) {
        String path = d.exportPath();
        boolean recursive = !path.contains("{") && !isSingleObject(fs, d);
        String folder = recursive ? path : new Inode(FileType.DIRECTORY,
                path.contains("{") ? path.substring(0, path.indexOf('{')) : path).parentPath();
        try {
            fs.pinDataset(folder, recursive, onChange);
        } catch (ObjectStoreException e) {
            LOG.warn("dataset {} ({}): its names could not be listed in bulk, they are looked up per directory: {}",
                    d.exportPath(), d.id(), e.getMessage());
        }
    }

    private static boolean isSingleObject(S3FileSystem fs, ServedDataset d) {
        List<ObjectRef> objects = d.index().objects();
        return objects.size() == 1 && objects.get(0).key().equals(fs.key(d.exportPath()));
    }
}

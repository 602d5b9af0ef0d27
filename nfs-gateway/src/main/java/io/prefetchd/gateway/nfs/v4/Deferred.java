package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.XdrWriter;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * An operation's result that storage delivers later: a READ whose bytes are not cached waits for its GET. The
 * {@link CompoundProcessor} suspends the COMPOUND without holding a thread; once {@code waitFor} completes, however it
 * completes, it runs {@code then} on an NFS worker thread and carries on with the result {@code then} gives (or the
 * status it throws) as if the operation had returned it.
 *
 * @param waitFor what the operation waits for; its completion may come on any thread (an S3 client's)
 * @param then    the rest of the operation, which reads {@code waitFor}'s outcome (see {@link #join})
 */
public record Deferred(CompletableFuture<?> waitFor, Continuation then) implements NfsOperation.Result {

    /** The rest of an operation, after what it waited for is complete. */
    @FunctionalInterface
    public interface Continuation {
        NfsOperation.Result get() throws NfsException, FsException;
    }

    public Deferred {
        requireNonNull(waitFor, "waitFor is null");
        requireNonNull(then, "then is null");
    }

    /** Never called: the processor encodes the result {@code then} gives. */
    @Override
    public void encode(XdrWriter w) {
        throw new IllegalStateException("a deferred result is encoded once it completes");
    }

    /**
     * The value of a completed future, with the {@link NfsException}, {@link FsException} or unchecked exception it
     * completed with thrown as itself rather than wrapped.
     *
     * @throws IllegalStateException when {@code future} is not complete
     */
    public static <T> T join(CompletableFuture<T> future) throws NfsException, FsException {
        if (!future.isDone()) {
            throw new IllegalStateException("the future is not complete");
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            throw new AssertionError("a completed future does not wait", e);
        }
    }

    private static RuntimeException rethrow(@Nullable Throwable cause) throws NfsException, FsException {
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof NfsException e) {
            throw e;
        }
        if (cause instanceof FsException e) {
            throw e;
        }
        if (cause instanceof RuntimeException e) {
            throw e;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        throw new CompletionException(cause);
    }
}

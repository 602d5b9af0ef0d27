package io.prefetchd.gateway.nfs.xdr;

/** The bytes on the wire do not decode as the XDR the RFC defines; the RPC layer answers GARBAGE_ARGS. */
public final class XdrException extends Exception {
    public XdrException(String message) {
        super(message);
    }
}

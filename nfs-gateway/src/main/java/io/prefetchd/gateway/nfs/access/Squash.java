package io.prefetchd.gateway.nfs.access;

/** Which AUTH_SYS identities an export rule replaces by its anonymous uid/gid. */
public enum Squash {
    /** Every identity as the client presents it, root included. */
    NONE,
    /** uid 0 becomes the anonymous uid and gid 0 (primary or supplementary) the anonymous gid. */
    ROOT,
    /** Every caller becomes the anonymous uid/gid, with no supplementary groups. */
    ALL
}

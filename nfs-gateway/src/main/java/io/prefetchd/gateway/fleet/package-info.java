/**
 * A fleet of gateways serving one export: membership and failure detection from an embedded Hazelcast member
 * ({@link io.prefetchd.gateway.fleet.Fleet}), one owner per cache grain from Hazelcast's partitioning, and a peer
 * data channel over which a member reads the blocks it does not own from their owner's cache. The fleet's caches
 * add up, S3 sees each missing block about once per fleet, and an owner that cannot be reached costs a read an S3
 * GET, never an error. docs/FLEET.md is the design.
 */
package io.prefetchd.gateway.fleet;

/**
 * What every step of a cluster's pass shares: {@link io.pgherd.cluster.ClusterScope} (the home,
 * the engine, the log, how members are reached, certificates), {@link io.pgherd.cluster.Observed}
 * (one pass's look), {@link io.pgherd.cluster.Progress} (what the steps did and wait for),
 * {@link io.pgherd.cluster.Result} (when to look again), and the member's files.
 */
package io.pgherd.cluster;

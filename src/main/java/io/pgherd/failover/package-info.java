/**
 * Failover: every change of primary, automatic or asked for. Read it in this order:
 *
 * <ol>
 *   <li>{@link io.pgherd.failover.Detector} — is the primary down? Docker's die event at once; a
 *       primary that does not answer SQL after failureThreshold probes.
 *   <li>{@code model.FailoverPlanner} (pure, in {@code model}) — which replica: never one too far
 *       behind, in sync mode only a synchronous standby; a user's request judged the same way.
 *   <li>{@link io.pgherd.failover.PrimaryChange} — the intent recorded in the topology before
 *       anything is touched, carried out, its requester answered, writes resumed.
 *   <li>{@link io.pgherd.failover.Failover} — fence (load balancer, kill or disconnect the old
 *       primary, tell it to come back as a replica), then promote.
 *   <li>{@link io.pgherd.failover.Switchover} — no data lost: clean shutdown, the target caught
 *       up to the shutdown checkpoint, then promote; a state machine across passes.
 *   <li>{@link io.pgherd.failover.Promotion} — the promotion recorded, or the change abandoned.
 *   <li>{@link io.pgherd.failover.Fencing} — the safety gate's action on a second writable member.
 *   <li>{@link io.pgherd.failover.Rejoin} — the old primary back as a replica (pg_rewind or a
 *       re-clone in its entrypoint), and re-cloned when it cannot follow.
 * </ol>
 *
 * Every step is idempotent and the intent is stored first, so an operator that crashes anywhere
 * resumes where it stopped ({@code CrashPointsIT}).
 */
package io.pgherd.failover;

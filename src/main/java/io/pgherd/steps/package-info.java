/**
 * The steps of a pass that converge containers and PostgreSQL to the spec, in the order the pass
 * runs them: {@link io.pgherd.steps.Observer} and {@link io.pgherd.steps.TopologyStep} first, then
 * {@link io.pgherd.steps.Members}, {@link io.pgherd.steps.Configuration},
 * {@link io.pgherd.steps.Archive}, {@link io.pgherd.steps.BaseBackups},
 * {@link io.pgherd.steps.Slots} and {@link io.pgherd.steps.LoadBalancer}. Each owns its state;
 * none waits for a container to become ready.
 */
package io.pgherd.steps;

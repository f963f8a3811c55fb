/**
 * The seam between the reconcile and the engine that runs a cluster's containers:
 * {@link io.pgherd.runtime.ContainerRuntime} (one Docker engine today, {@code docker.DockerGateway};
 * a fake in the tests; Docker Swarm next), the types it speaks in, and how the operator reaches
 * the members' PostgreSQL ({@link io.pgherd.runtime.MemberAccess}).
 */
package io.pgherd.runtime;

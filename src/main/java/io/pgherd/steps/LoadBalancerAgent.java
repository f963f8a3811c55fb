package io.pgherd.steps;

import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.model.HaproxyConf;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the operator reaches the running load balancer: through its agent (pgherd/haproxy's
 * io.pgherd.agent.LbAgent on :8009, mutual TLS) — the configuration written and reloaded, commands
 * to HAProxy's admin socket — and through the engine (archive copy, SIGUSR2, docker exec) only for
 * a load balancer made by an older pgherd, which publishes no agent port, or when its agent fails
 * (said once): a change of primary never waits on it.
 */
final class LoadBalancerAgent extends ClusterPart {

  /** A load balancer container's agent gets this long after it is first seen to start answering, unwarned. */
  static final java.time.Duration START_GRACE = java.time.Duration.ofSeconds(15);
  /** When each load balancer container was first seen (by id). */
  private final Map<String, java.time.Instant> firstSeen = new java.util.concurrent.ConcurrentHashMap<>();

  LoadBalancerAgent(ClusterScope scope) {
    super(scope);
  }

  /** haproxy.cfg written in the running load balancer and reloaded seamlessly (master-worker). */
  void deliverAndReload(ContainerInfo lb, String config) {
    Map<String, FileContent> file = Map.of(HaproxyConf.PATH, FileContent.of(config, 0644));
    Optional<MemberAgent> agent = scope.lbAgent(lb);
    if (agent.isPresent()) {
      try {
        agent.get().putFiles(file);
        agent.get().reload();
        delivered(lb, file);
        return;
      } catch (AgentException e) {
        fallback(lb, e); // a change of primary must not wait for the agent: the engine's way
      }
    }
    docker.copyFiles(lb.id(), file);
    delivered(lb, file);
    docker.signal(lb.id(), "SIGUSR2");
  }

  /**
   * The running worker's {@code show stat}, through the agent only (for the status: nothing falls
   * back to an exec for it); the engine's exec for a load balancer without an agent.
   */
  String showStat(ContainerInfo lb) {
    Optional<MemberAgent> agent = scope.lbAgent(lb);
    if (agent.isEmpty()) {
      return admin(lb, List.of(HaproxyConf.SHOW_STAT));
    }
    try {
      return agent.get().haproxy(List.of(HaproxyConf.SHOW_STAT));
    } catch (AgentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The load balancer's container is there, running: its agent's start-up grace counts from the first time. */
  void seen(ContainerInfo lb) {
    firstSeen.putIfAbsent(lb.id(), instant());
  }

  /** Said once, unless the container has just started (its agent's JVM takes a moment). */
  private void fallback(ContainerInfo lb, AgentException e) {
    java.time.Instant seen = firstSeen.computeIfAbsent(lb.id(), k -> instant());
    if (java.time.Duration.between(seen, instant()).compareTo(START_GRACE) < 0) {
      return;
    }
    warnOnce("lb-agent-fallback", "the load balancer's agent failed (" + e.getMessage()
        + "); its configuration and commands go through the engine (archive copy, signal, exec) meanwhile");
  }

  /** Files for the agent itself (its renewed certificate): written, nothing reloaded. */
  void deliverFiles(ContainerInfo lb, Map<String, FileContent> files) {
    try {
      scope.lbAgent(lb).orElseThrow().putFiles(files);
      delivered(lb, files);
    } catch (AgentException e) {
      throw new IllegalStateException("cannot deliver its agent's files to " + lb.name() + ": " + e.getMessage(), e);
    }
  }

  /** Commands to the running worker's admin socket, in order; their output. */
  String admin(ContainerInfo lb, List<String> commands) {
    for (String command : commands) {
      if (!command.matches("[a-z][a-z /_0-9-]*")) {
        throw new IllegalArgumentException("not an admin socket command pgherd sends: " + command);
      }
    }
    Optional<MemberAgent> agent = scope.lbAgent(lb);
    if (agent.isPresent()) {
      try {
        return agent.get().haproxy(commands);
      } catch (AgentException e) {
        fallback(lb, e);
      }
    }
    return docker.exec(lb.id(), "sh", "-c", "printf '" + String.join("\\n", commands)
        + "\\n' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock");
  }
}

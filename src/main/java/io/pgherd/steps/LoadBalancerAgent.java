package io.pgherd.steps;

import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.model.HaproxyConf;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the operator reaches the running load balancer — each copy of it: the container on one
 * engine, the task on every node on a Docker Swarm ({@link Copy}) — through its agent
 * (pgherd/haproxy's io.pgherd.agent.LbAgent on :8009, mutual TLS): the configuration written and
 * reloaded, commands to HAProxy's admin socket. On one engine, the engine's way (archive copy,
 * SIGUSR2, docker exec) stands in for a load balancer made by an older pgherd, which publishes no
 * agent port, or when its agent fails (said once): a change of primary never waits on it. A Swarm
 * task has no such way: a copy whose agent fails is said to fail, and the others go on.
 */
final class LoadBalancerAgent extends ClusterPart {

  /** A load balancer container's agent gets this long after it is first seen to start answering, unwarned. */
  static final java.time.Duration START_GRACE = java.time.Duration.ofSeconds(15);
  /** When each copy was first seen (by id). */
  private final Map<String, java.time.Instant> firstSeen = new java.util.concurrent.ConcurrentHashMap<>();

  LoadBalancerAgent(ClusterScope scope) {
    super(scope);
  }

  /** One running copy of the load balancer and its agent (empty: none reachable from here). */
  record Copy(ContainerInfo lb, ContainerRuntime.Instance instance, Optional<MemberAgent> agent) {
    /** The container itself (one engine), not one of a Swarm service's tasks. */
    boolean isContainer() {
      return instance.id().equals(lb.id());
    }

    /** The key its files' hashes are remembered under. */
    String id() {
      return instance.id();
    }

    @Override
    public String toString() {
      return instance.node() == null ? lb.name() : lb.name() + " on node " + instance.node();
    }
  }

  /** The copies running now: one on one engine, one per node on a Swarm. */
  List<Copy> copies(ContainerInfo lb) {
    if (lb == null || !lb.running()) {
      return List.of();
    }
    return docker.instances(lb, scope.reachNetwork()).stream()
        .map(i -> new Copy(lb, i, scope.lbAgent(lb, i))).toList();
  }

  /** The content hash of a file in this copy ("absent" when it has none; "unknown" when its agent does not answer). */
  String fileHash(Copy copy, String path) {
    if (copy.isContainer()) {
      return fileHash(copy.lb(), path);
    }
    String known = fileHashes.get(copy.id() + path);
    if (known != null || copy.agent().isEmpty()) {
      return known == null ? "unknown" : known;
    }
    try {
      copy.agent().get().files().forEach((p, h) -> fileHashes.put(copy.id() + p, h));
      return fileHashes.computeIfAbsent(copy.id() + path, k -> "absent");
    } catch (AgentException e) {
      return "unknown";
    }
  }

  /** haproxy.cfg written in the running copy and reloaded seamlessly (master-worker). */
  void deliverAndReload(Copy copy, String config) {
    Map<String, FileContent> file = Map.of(HaproxyConf.PATH, FileContent.of(config, 0644));
    if (copy.agent().isPresent()) {
      try {
        copy.agent().get().putFiles(file);
        copy.agent().get().reload();
        delivered(copy.id(), file);
        return;
      } catch (AgentException e) {
        if (!copy.isContainer()) {
          throw new IllegalStateException(e.getMessage(), e);
        }
        fallback(copy, e); // a change of primary must not wait for the agent: the engine's way
      }
    } else if (!copy.isContainer()) {
      throw new IllegalStateException(copy + ": its agent cannot be reached from here");
    }
    docker.copyFiles(copy.lb().id(), file);
    delivered(copy.lb(), file);
    docker.signal(copy.lb().id(), "SIGUSR2");
  }

  /**
   * The running worker's {@code show stat}, through the agent only (for the status: nothing falls
   * back to an exec for it); the engine's exec for a load balancer without an agent.
   */
  String showStat(Copy copy) {
    if (copy.agent().isEmpty()) {
      return admin(copy, List.of(HaproxyConf.SHOW_STAT));
    }
    try {
      return copy.agent().get().haproxy(List.of(HaproxyConf.SHOW_STAT));
    } catch (AgentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The copy is there, running: its agent's start-up grace counts from the first time. */
  void seen(Copy copy) {
    firstSeen.putIfAbsent(copy.id(), instant());
  }

  /** Whether the copy started so recently that its agent may not answer yet. */
  boolean starting(Copy copy) {
    java.time.Instant seen = firstSeen.computeIfAbsent(copy.id(), k -> instant());
    return java.time.Duration.between(seen, instant()).compareTo(START_GRACE) < 0;
  }

  /** Said once, unless the container has just started (its agent's JVM takes a moment). */
  private void fallback(Copy copy, AgentException e) {
    if (starting(copy)) {
      return;
    }
    warnOnce("lb-agent-fallback", "the load balancer's agent failed (" + e.getMessage()
        + "); its configuration and commands go through the engine (archive copy, signal, exec) meanwhile");
  }

  /** Files for the agent itself (its renewed certificate): written, nothing reloaded. */
  void deliverFiles(Copy copy, Map<String, FileContent> files) {
    try {
      copy.agent().orElseThrow().putFiles(files);
      delivered(copy.id(), files);
    } catch (AgentException e) {
      throw new IllegalStateException("cannot deliver its agent's files to " + copy + ": " + e.getMessage(), e);
    }
  }

  /** Commands to the running worker's admin socket, in order; their output. */
  String admin(Copy copy, List<String> commands) {
    for (String command : commands) {
      if (!command.matches("[a-z][a-z /_0-9-]*")) {
        throw new IllegalArgumentException("not an admin socket command pgherd sends: " + command);
      }
    }
    if (copy.agent().isPresent()) {
      try {
        return copy.agent().get().haproxy(commands);
      } catch (AgentException e) {
        if (!copy.isContainer()) {
          throw new IllegalStateException(e.getMessage(), e);
        }
        fallback(copy, e);
      }
    } else if (!copy.isContainer()) {
      throw new IllegalStateException(copy + ": its agent cannot be reached from here");
    }
    return docker.exec(copy.lb().id(), "sh", "-c", "printf '" + String.join("\\n", commands)
        + "\\n' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock");
  }
}

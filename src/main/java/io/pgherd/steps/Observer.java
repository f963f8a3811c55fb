package io.pgherd.steps;

import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.MemberAccess;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The pass's first look: the cluster's containers, volumes and load balancer as the engine lists
 * them, and every running member probed, in parallel (one that hangs delays nobody else's probe):
 * through its agent, which keeps a connection of its own, or over SQL (a login per probe) when the
 * agent cannot be asked. One immutable {@link Observed} per look.
 */
public final class Observer extends ClusterPart {
  /** Threads for probes (agents and SQL), shared by all clusters; idle ones end after a minute. */
  private static final ExecutorService PROBES = new ThreadPoolExecutor(
      0, 32, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "pgherd-probe");
        t.setDaemon(true);
        return t;
      }, new ThreadPoolExecutor.CallerRunsPolicy());

  /**
   * An agent's look at its PostgreSQL older than this is not taken (its probe may hang): the
   * member is probed over SQL instead, whose timeout says so.
   */
  static final Duration MAX_AGENT_STATE_AGE = Duration.ofSeconds(2);
  /**
   * How long a pass waits for its probes: an agent's answer takes at most its connect and read
   * timeouts (1 + 3 s), but a name lookup has no timeout of ours (a member that just died on a
   * Swarm has left the network's DNS, and the lookup waits for the upstream resolver: 20 s where
   * there is none). A probe still running then counts as failed, and the pass goes on.
   */
  public static final Duration PROBE_DEADLINE = Duration.ofSeconds(5);
  /**
   * How long a pass waits for the probe of a member whose agent's address answered nothing at its
   * last call (its host lost or cut off, it seems): the probe goes on in the background and its
   * answer, should one come, is recorded; the pass does not wait out a connection timeout each
   * time, so that a failover is decided as soon as the primary must have fenced itself.
   */
  static final Duration SILENT_PROBE_WAIT = Duration.ofMillis(250);
  /** Members probed over SQL rather than through their agent, and why (said once each). */
  private final Map<Integer, String> fallbacks = new TreeMap<>();
  /** Since when each member's agent has not answered (a new container's agent starts in a second or two). */
  private final Map<Integer, Instant> unansweredSince = new TreeMap<>();
  /** How long an agent may not answer before the fallback to SQL is said (a restored member's agents hand over, a JVM starts). */
  static final java.time.Duration FALLBACK_GRACE = java.time.Duration.ofSeconds(10);

  /** Probes past their deadline, by member, while they run (one at most each). */
  private final Map<Integer, CompletableFuture<Look>> stillRunning = new java.util.concurrent.ConcurrentHashMap<>();

  public Observer(ClusterScope scope) {
    super(scope);
  }

  public Observed observe() {
    boolean network = docker.networkExists(Names.network(cluster));
    if (network) {
      joinNetwork(); // before any probe: an operator restarted in a container is on no cluster network yet
    }
    Map<Integer, ContainerInfo> members = new TreeMap<>();
    ContainerInfo lb = null;
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      String component = c.label(Names.LABEL_COMPONENT);
      if (Names.COMPONENT_LB.equals(component)) {
        lb = c;
      } else if (Names.COMPONENT_MEMBER.equals(component) && c.label(Names.LABEL_MEMBER) != null) {
        // listed as running a moment after Docker said it died (its listing lags, on a Swarm too): seen as it is,
        // exited, by every step of the pass; none calls it (its name may be gone from the network's DNS already,
        // and a lookup then waits for the upstream resolver)
        ContainerInfo seen = c.running() && scope.died(c) ? c.exited("died: Docker event at "
            + scope.diedAt(c.id()).map(java.time.Instant::toString).orElse("?")) : c;
        members.put(Names.ordinal(cluster, c.label(Names.LABEL_MEMBER)), seen);
      }
    }
    Set<Integer> volumes = new TreeSet<>();
    for (String v : docker.volumes(Names.LABEL_CLUSTER, cluster)) {
      String prefix = "pgherd-" + cluster + "-";
      if (v.startsWith(prefix) && v.endsWith("-data")) {
        try {
          volumes.add(Integer.parseInt(v.substring(prefix.length(), v.length() - "-data".length())));
        } catch (NumberFormatException e) {
          // not a member volume of ours
        }
      }
    }
    // Members are probed in parallel: one that hangs (frozen, cut off) delays nobody else's probe.
    Map<Integer, CompletableFuture<Look>> pending = new TreeMap<>();
    Map<Integer, String> errors = new TreeMap<>();
    long deadline = System.nanoTime() + PROBE_DEADLINE.toNanos();
    for (var e : members.entrySet()) {
      if (!e.getValue().running() || recovering.contains(e.getValue().id())) {
        if (e.getValue().mayBeRunning() && target(e.getValue(), e.getKey()).agent() != null) {
          // not probed (no address to reach it at), but its agent may run on, cut off: a primary's is waited for
          agentContact.expect(e.getValue().id(), instant());
        }
        continue;
      }
      CompletableFuture<Look> late = stillRunning.get(e.getKey());
      if (late != null && !late.isDone()) {
        // the last pass's probe of it still runs (past its deadline): no second one queued behind it
        errors.put(e.getKey(), "its last probe, which this operator stopped waiting for, still runs"
            + " (its name may not resolve, or its address not answer)");
        continue;
      }
      Target target = target(e.getValue(), e.getKey());
      if (target.agent() != null) {
        agentContact.expect(e.getValue().id(), instant());
      }
      pending.put(e.getKey(), CompletableFuture.supplyAsync(() -> look(target), PROBES));
    }
    stillRunning.values().removeIf(CompletableFuture::isDone);
    Map<Integer, InstanceProbe> probes = new TreeMap<>();
    Map<Integer, String> fenced = new TreeMap<>();
    pending.forEach((ordinal, future) -> {
      Look look;
      long wait = Math.max(0, deadline - System.nanoTime());
      if (agentContact.unreachableSince(members.get(ordinal).id()).isPresent()) {
        wait = Math.min(wait, SILENT_PROBE_WAIT.toNanos());
      }
      try {
        look = future.get(wait, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // it goes on in the background (its own timeouts end it); this pass does not wait for it, and the next
        // starts no other of the same member while it runs
        stillRunning.put(ordinal, future);
        look = Look.failed(wait < PROBE_DEADLINE.toNanos() && agentContact.unreachableSince(members.get(ordinal).id())
            .isPresent() ? "its agent's address has answered nothing since " + agentContact.unreachableSince(
                members.get(ordinal).id()).get() + " (its probe goes on in the background)"
            : "no answer within " + PROBE_DEADLINE.toSeconds() + " s (the probe still runs: its name"
            + " may not resolve, or its address not answer)");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        look = Look.failed("interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof io.pgherd.runtime.Acting.NotActing paused) {
          throw paused; // not a failed probe: this operator may not act now, and the pass ends
        }
        look = Look.failed(String.valueOf(e.getCause()));
      }
      if (look.fenced() != null) {
        fenced.put(ordinal, look.fenced());
      }
      if (look.probe() != null) {
        probes.put(ordinal, look.probe());
        fallback(ordinal, look.fallback(), look.agentAnswered() == null && members.get(ordinal) != null
            && agentAddressKnown(members.get(ordinal)));
      } else {
        errors.put(ordinal, look.error());
      }
    });
    return new Observed(network, members, volumes, lb, probes, errors, fenced);
  }

  /**
   * Whether the member's agent reports its PostgreSQL streaming from a primary; false as well when
   * the agent cannot be asked (not started yet: the next pass observes and says why).
   */
  public boolean streams(ContainerInfo c) {
    try {
      Optional<MemberAgent> agent = agent(c);
      return agent.isPresent()
          && agent.get().status().probe().map(p -> "streaming".equals(p.receiverStatus())).orElse(false);
    } catch (AgentException | RuntimeException e) {
      return false;
    }
  }

  /** Whether this process has an address for the member's agent (a container made before the agents has none). */
  private boolean agentAddressKnown(ContainerInfo c) {
    return scope.agentAddress(c).isPresent();
  }

  /**
   * One member's probe, or why there is none; {@code fallback} says why it was taken (or tried)
   * over SQL rather than from the member's agent (null: from the agent).
   */
  private record Look(InstanceProbe probe, String error, String fallback, Instant agentAnswered, String fenced) {
    Look(InstanceProbe probe, String error, String fallback, Instant agentAnswered) {
      this(probe, error, fallback, agentAnswered, null);
    }

    /** No look at all: why. */
    static Look failed(String why) {
      return new Look(null, why, null, null, null);
    }
  }

  /** How a member is probed: its agent (null: noAgent says why not) and its PostgreSQL (noSql says why not). */
  private record Target(MemberAgent agent, String noAgent, Optional<Instance> sql, String noSql) {}

  private Target target(ContainerInfo c, int ordinal) {
    boolean ports = access.mode() == MemberAccess.Mode.PORTS;
    String offNetwork = "not attached to " + Names.network(cluster);
    MemberAgent agent = null;
    String noAgent;
    try {
      agent = agent(c).orElse(null);
      noAgent = ports ? "its container publishes no port " + PostgresConf.AGENT_PORT
          + " (created before pgherd had member agents)" : offNetwork;
    } catch (RuntimeException e) {
      noAgent = "cannot set up the operator's client for " + member(ordinal) + "'s agent: " + e.getMessage();
    }
    return new Target(agent, noAgent, sql(c), ports ? "port " + PostgresConf.PORT + " is not published" : offNetwork);
  }

  /**
   * The member's PostgreSQL as its agent sees it; over SQL (one login) only when the agent cannot
   * be asked, its look is older than {@link #MAX_AGENT_STATE_AGE} (its probe may hang: the SQL
   * probe's timeout then says so), or it says PostgreSQL did not answer it: a member counts as
   * down (towards a failover) only when SQL says so too, never on its agent's word alone.
   */
  private Look look(Target target) {
    String fallback = target.noAgent();
    Instant answered = null;
    if (target.agent() != null) {
      try {
        // its answer is recorded as word from the operator at once (ClusterScope.agent), even when the pass has
        // stopped waiting for this probe: the agent counts its silence from this call, and a failover waits for
        // that silence to have made it fence itself
        AgentStatus status = target.agent().status();
        answered = instant();
        if (status.stateAgeMillis() > MAX_AGENT_STATE_AGE.toMillis()) {
          fallback = "its agent's look is " + status.stateAgeMillis() + " ms old";
        } else if (status.probe().isPresent()) {
          return new Look(status.probe().get(), null, null, answered);
        } else if (status.fenced().isPresent()) {
          // its agent stopped PostgreSQL: SQL would only be refused
          return new Look(null, "fenced by its agent: " + status.fenced().get(), null, answered, status.fenced().get());
        } else {
          fallback = "its agent's connection failed: " + status.probeError().orElse("no probe");
        }
      } catch (AgentException ex) {
        if (ex.unreachable()) {
          // its address answers nothing (a host lost or cut off): SQL on it would wait out its own timeouts too,
          // and each second of this probe is a second longer to detect a lost primary
          return new Look(null, ex.getMessage() + " (its SQL port, at the same address, is not tried)", null, null);
        }
        fallback = ex.getMessage();
      }
    }
    if (target.sql().isEmpty()) {
      return new Look(null, target.noSql(), fallback, answered);
    }
    try {
      return new Look(target.sql().get().probe(), null, fallback, answered);
    } catch (InstanceException ex) {
      return new Look(null, ex.getMessage(), fallback, answered);
    }
  }

  /**
   * Says once per member that it is probed over SQL, not through its agent (null: through its
   * agent), and once that its agent answers again. An agent that could answer but did not (not yet
   * started, between a restore's two agents) is said only after FALLBACK_GRACE.
   */
  private void fallback(int ordinal, String why, boolean mayAnswerSoon) {
    if (why != null && mayAnswerSoon) {
      Instant since = unansweredSince.computeIfAbsent(ordinal, o -> instant());
      if (instant().isBefore(since.plus(FALLBACK_GRACE))) {
        return; // said once it lasts
      }
    } else if (why == null) {
      unansweredSince.remove(ordinal);
    }
    if (why != null) {
      if (fallbacks.putIfAbsent(ordinal, why) == null) {
        log.warn("agent-fallback", member(ordinal) + " is probed over SQL, one login per pass: " + why);
      }
    } else if (fallbacks.remove(ordinal) != null) {
      log.action("agent-back", member(ordinal) + " is probed through its agent again");
    }
  }
}

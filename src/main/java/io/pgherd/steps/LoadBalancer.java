package io.pgherd.steps;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.EndpointsStatus;
import io.pgherd.api.LoadBalancerInstanceStatus;
import io.pgherd.api.LoadBalancerServerStatus;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.cluster.Progress;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The cluster's HAProxy: created with its listeners, its configuration kept as rendered for the
 * topology (reloaded master-worker, so sessions survive), fenced during a change of primary, told
 * at once when a restored primary is up, and its server states read for the status. On a Docker
 * Swarm it is a global service, a copy on every node: each copy is kept current, fenced and read by
 * itself, through its own agent ({@link LoadBalancerAgent.Copy}), and all switch together.
 */
public final class LoadBalancer extends ClusterPart {
  private int lbStatFailures;
  /**
   * How old the load balancer's server states in status may be. Reading them was a {@code docker exec}
   * (~0.1 s of CPU in the engine, containerd and runc): once per pass cost an idle cluster ~10 % of a
   * core, and a restoring one, passing every 200 ms, half a core; through the agent it is far cheaper,
   * but the status needs no fresher look.
   */
  static final Duration LB_STAT_MAX_AGE = Duration.ofSeconds(3);
  /** The last {@code show stat} read of each copy (by id), what it was read for (the members), and when. */
  private final Map<String, Stat> lbStats = new java.util.concurrent.ConcurrentHashMap<>();

  private record Stat(String csv, String key, long at) {}

  /** What was last said of each copy that could not be kept current (by id): said again only when it changes. */
  private final Map<String, String> copyWarnings = new java.util.concurrent.ConcurrentHashMap<>();


  private final LoadBalancerAgent agent;
  private final MemberFiles memberFiles;

  public LoadBalancer(ClusterScope scope, MemberFiles memberFiles) {
    super(scope);
    this.agent = new LoadBalancerAgent(scope);
    this.memberFiles = memberFiles;
  }

  public void loadBalancer(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    String config = haproxyConfig(cfg, topology, obs);
    String name = Names.loadBalancer(cluster);
    String hash = lbHash(cfg);
    ContainerInfo lb = obs.lb();
    if (lb != null && !hash.equals(lb.label(Names.LABEL_SPEC_HASH))) {
      docker.remove(lb.id());
      log.action("recreate-lb", name + ": " + (lb.label(Names.LABEL_SPEC_HASH) != null
          && lb.label(Names.LABEL_SPEC_HASH).equals(lbHashBeforeAgents(cfg))
          ? "made by an older pgherd, without an agent: made again with one (the listeners are back in seconds)"
          : "listeners changed (spec.loadBalancer)"));
      lb = null;
    }
    if (lb == null) {
      Map<String, String> labels = Map.of(Names.LABEL_CLUSTER, cluster, Names.LABEL_COMPONENT, Names.COMPONENT_LB,
          Names.LABEL_SPEC_HASH, hash);
      Map<String, FileContent> files = new LinkedHashMap<>();
      files.put(HaproxyConf.PATH, FileContent.of(config, 0644));
      files.putAll(memberFiles.lbAgentFiles());
      ContainerSpec spec = new ContainerSpec(name, Names.LB_IMAGE, Names.network(cluster), labels, Map.of(),
          List.of(new ContainerSpec.Port(cfg.bindAddress(), cfg.readWritePort(), HaproxyConf.RW_PORT),
              new ContainerSpec.Port(cfg.bindAddress(), cfg.readOnlyPort(), HaproxyConf.RO_PORT),
              new ContainerSpec.Port("127.0.0.1", 0, PostgresConf.AGENT_PORT)),
          files, new ContainerSpec.Placement(cfg.placement().constraints(), null)); // on a Swarm: every node members may use
      try {
        String id = docker.create(spec);
        try {
          docker.start(id);
        } catch (RuntimeException e) {
          docker.remove(id);
          throw new IllegalStateException("cannot start the load balancer " + name + " on " + cfg.bindAddress() + ":"
              + cfg.readWritePort() + "/" + cfg.readOnlyPort() + ": " + e.getMessage(), e);
        }
        delivered(id, files);
        log.action("create-lb", name + ": read-write " + cfg.bindAddress() + ":" + cfg.readWritePort()
            + " → " + member(topology.primary()) + ", read-only " + cfg.bindAddress() + ":" + cfg.readOnlyPort());
      } catch (NameTakenException e) {
        // exists already: observe again
      }
      progress.changed = true;
      return;
    }
    if (!lb.running()) {
      // made with its files; a stopped one has no agent to take a new configuration: made again
      if (!hash(config.getBytes(StandardCharsets.UTF_8)).equals(fileHash(lb, HaproxyConf.PATH))) {
        docker.remove(lb.id());
        log.action("recreate-lb", name + ": container was " + lb.state() + " and its configuration is out of date");
        progress.changed = true;
        return;
      }
      docker.start(lb.id());
      log.action("start-lb", name + ": container was " + lb.state());
      progress.changed = true;
      return;
    }
    List<LoadBalancerAgent.Copy> reloaded = new ArrayList<>();
    for (LoadBalancerAgent.Copy copy : agent.copies(lb)) {
      agent.seen(copy);
      try {
        if (keepCurrent(copy, config)) {
          reloaded.add(copy);
        }
        copyWarnings.remove(copy.id());
      } catch (RuntimeException e) {
        if (copy.isContainer()) {
          throw e;
        }
        // one node's copy: the others are kept current meanwhile; said once per copy unless it has just started
        String why = copy + " cannot be kept current: " + e.getMessage();
        if (!agent.starting(copy) && !why.equals(copyWarnings.put(copy.id(), why))) {
          log.warn("lb-copy", why);
        }
      }
    }
    if (!reloaded.isEmpty()) {
      // the copies have it from their agents; a new task (a node back, a copy restarted) starts with it
      docker.keepFiles(lb.id(), Map.of(HaproxyConf.PATH, FileContent.of(config, 0644)));
      progress.changed = true;
      log.action("reload-lb", (reloaded.size() == 1 ? reloaded.get(0).toString()
          : name + " on " + reloaded.size() + " nodes") + ": servers now: " + serversSummary(cfg, topology, obs));
    }
  }

  /** The copy's configuration current (reloaded seamlessly when not: true) and its agent's own files too. */
  private boolean keepCurrent(LoadBalancerAgent.Copy copy, String config) {
    boolean reload = !hash(config.getBytes(StandardCharsets.UTF_8)).equals(agent.fileHash(copy, HaproxyConf.PATH));
    if (reload) {
      // master-worker reload: the new worker takes new connections, the old one keeps its sessions
      agent.deliverAndReload(copy, config);
    }
    Map<String, FileContent> agentFiles = memberFiles.lbAgentFiles();
    if (copy.agent().isPresent() && agentFiles.entrySet().stream()
        .anyMatch(f -> !hash(f.getValue().content()).equals(agent.fileHash(copy, f.getKey())))) {
      agent.deliverFiles(copy, agentFiles); // a renewed certificate: the agent reads it again by itself
      docker.keepFiles(copy.lb().id(), agentFiles);
      log.action("renew-lb-agent-files", copy + ": its agent's certificate and CA delivered");
    }
    return reload;
  }

  String haproxyConfig(ClusterConfig cfg, Topology topology, Observed obs) {
    HaproxyConf.Server primary = new HaproxyConf.Server(member(topology.primary()),
        Names.container(member(topology.primary())), true);
    List<HaproxyConf.Server> replicas = new ArrayList<>();
    for (int r : topology.replicas()) {
      Long lag = lagBytes(topology, obs, r);
      boolean inRotation = lag == null || lag <= cfg.maxReplicaLagBytes();
      replicas.add(new HaproxyConf.Server(member(r), Names.container(member(r)), inRotation));
    }
    return HaproxyConf.render(cfg, primary, replicas);
  }

  private String serversSummary(ClusterConfig cfg, Topology topology, Observed obs) {
    List<String> ro = new ArrayList<>();
    for (int r : topology.replicas()) {
      Long lag = lagBytes(topology, obs, r);
      ro.add(member(r) + (lag != null && lag > cfg.maxReplicaLagBytes() ? " (out: lag " + lag + " bytes)" : ""));
    }
    return "rw " + member(topology.primary()) + "; ro " + member(topology.primary())
        + (cfg.readOnly() == ClusterConfig.ReadOnlyMode.REPLICAS ? " (backup)" : "")
        + (ro.isEmpty() ? "" : ", " + String.join(", ", ro));
  }

  /** Whether {@code e} comes of an agent whose address answered nothing (no connection within its timeout). */
  private static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.pgherd.postgres.AgentException a && a.unreachable()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The old primary out of the read-write listener, its sessions cut, and the target alone in
   * it, unchecked ({@link HaproxyConf#renderChange}): the target refuses writes while in recovery,
   * so nobody writes while the primary changes, and clients reconnecting get through the moment
   * it is promoted, without waiting for another reload.
   */
  public void fenceLoadBalancer(ClusterConfig cfg, Topology topology, Observed obs) {
    ContainerInfo lb = obs.lb();
    if (lb == null || !lb.running()) {
      return;
    }
    Topology.Failover f = topology.failover();
    HaproxyConf.Server target = new HaproxyConf.Server(member(f.to()), Names.container(member(f.to())), true);
    List<HaproxyConf.Server> replicas = new ArrayList<>();
    for (int r : topology.members()) {
      if (r != f.from() && r != f.to()) {
        replicas.add(new HaproxyConf.Server(member(r), Names.container(member(r)), true));
      }
    }
    String config = HaproxyConf.renderChange(cfg, target, replicas);
    String wanted = hash(config.getBytes(StandardCharsets.UTF_8));
    String server = "rw/" + member(topology.failover().from());
    // every copy at once (one per node on a Swarm): none may keep sending writes to the old primary
    List<Runnable> fences = new ArrayList<>();
    for (LoadBalancerAgent.Copy copy : agent.copies(lb)) {
      fences.add(() -> {
        if (wanted.equals(agent.fileHash(copy, HaproxyConf.PATH))) {
          return;
        }
        // First, in the running worker: the old primary out of service and every session on it cut,
        // including connection attempts still retrying (a reload alone leaves those to the old
        // worker, which would complete them once the old primary is back, as a replica).
        try {
          agent.admin(copy, List.of("set server " + server + " state maint", "shutdown sessions server " + server));
        } catch (RuntimeException e) {
          if (!copy.isContainer() && unreachable(e)) { // a lost node: a reload would wait out the same timeout
            log.warn("fence-lb", copy + ": its agent cannot be reached (" + e.getMessage() + "); its read-write"
                + " listener keeps checking " + member(f.from()) + ", which refuses writes once fenced");
            return;
          }
          log.warn("fence-lb", copy + ": cannot put " + server + " in maintenance through the admin socket: "
              + e.getMessage() + "; reloading without it");
        }
        try {
          agent.deliverAndReload(copy, config);
        } catch (RuntimeException e) {
          if (copy.isContainer()) {
            throw e;
          }
          log.warn("fence-lb", copy + ": its configuration cannot be changed (" + e.getMessage()
              + "); its read-write listener keeps checking " + member(f.from()) + ", which refuses writes once fenced");
          return;
        }
        log.action("fence-lb", copy + ": " + member(f.from())
            + " out of the read-write listener, its sessions cut; " + member(f.to()) + " alone in it");
      });
    }
    if (fences.size() == 1) {
      fences.get(0).run();
      return;
    }
    // a thread per copy, so that one unreachable node (its agent's timeouts) delays none of the others
    List<Thread> threads = new ArrayList<>();
    for (Runnable fence : fences) {
      Thread t = new Thread(fence, "pgherd-fence-lb");
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join(); // bounded by the agent calls' own timeouts; each copy's failure is said by itself above
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The same commands to every running copy's worker, through its admin socket (its agent); a copy that fails is said, the others done. */
  public void haproxyAdmin(ContainerInfo lb, String... commands) {
    for (LoadBalancerAgent.Copy copy : agent.copies(lb)) {
      try {
        agent.admin(copy, List.of(commands));
      } catch (RuntimeException e) {
        if (copy.isContainer()) {
          throw e;
        }
        log.warn("lb-admin", copy + ": " + String.join("; ", commands) + " failed: " + e.getMessage());
      }
    }
  }

  /**
   * Tells the load balancer that member {@code p}, just probed as a writable primary, is up: its own
   * check would need two successes 500 ms apart (rise 2) to let clients through. Best effort: when
   * it fails, HAProxy's checks bring the member in as usual.
   */
  public void loadBalancerServerUp(ContainerInfo lb, int p) {
    if (lb == null || !lb.running()) {
      return;
    }
    for (LoadBalancerAgent.Copy copy : agent.copies(lb)) {
      try {
        String out = agent.admin(copy, HaproxyConf.serverUp(member(p))).strip();
        if (!out.isEmpty()) {
          log.warn("lb-up", copy + " did not take " + member(p) + " as up at once (its checks will): " + out);
        }
      } catch (RuntimeException e) {
        log.warn("lb-up", copy + " did not take " + member(p) + " as up at once (its checks will): "
            + e.getMessage());
      }
    }
  }

  /**
   * Which member is in which listener and its state, as HAProxy sees it (its stats socket); left
   * out if unreadable. On a Swarm each copy's (one per node) in {@code instances}, the first's above them.
   */
  public void loadBalancerServers(ContainerInfo lb, Topology topology, EndpointsStatus endpoints) {
    List<LoadBalancerAgent.Copy> copies = agent.copies(lb);
    List<LoadBalancerInstanceStatus> instances = new ArrayList<>();
    for (LoadBalancerAgent.Copy copy : copies) {
      String csv;
      try {
        csv = stat(copy, topology);
      } catch (RuntimeException e) { // e.g. HAProxy starting: said once it lasts
        if (copy.isContainer()) {
          if (++lbStatFailures == 3) {
            warnOnce("lb-stat", "cannot read the load balancer's server states (status shows none): " + e.getMessage());
          }
          return;
        }
        instances.add(new LoadBalancerInstanceStatus(copy.instance().node(), null, null, e.getMessage()));
        continue;
      }
      lbStatFailures = 0;
      var servers = HaproxyConf.parseStat(csv);
      Function<String, List<LoadBalancerServerStatus>> of = proxy ->
          servers.getOrDefault(proxy, List.of()).stream()
              .map(f -> new LoadBalancerServerStatus(f[0], f[1])).toList();
      if (endpoints.getReadWriteServers() == null) {
        endpoints.setReadWriteServers(of.apply("rw"));
        endpoints.setReadOnlyServers(of.apply("ro"));
      }
      instances.add(new LoadBalancerInstanceStatus(copy.instance().node(), of.apply("rw"), of.apply("ro"), null));
    }
    if (!copies.isEmpty() && !copies.get(0).isContainer()) {
      endpoints.setInstances(instances);
    }
  }

  /** A copy's {@code show stat}: read again when older than LB_STAT_MAX_AGE or when the members changed. */
  private String stat(LoadBalancerAgent.Copy copy, Topology topology) {
    String key = topology.primary() + " " + topology.members();
    Stat kept = lbStats.get(copy.id());
    if (kept != null && kept.key().equals(key) && System.nanoTime() - kept.at() < LB_STAT_MAX_AGE.toNanos()) {
      return kept.csv();
    }
    lbStats.remove(copy.id());
    String csv = agent.showStat(copy);
    if (lbStats.size() > 64) {
      lbStats.clear(); // copies come and go with nodes: nothing old is kept for long
    }
    lbStats.put(copy.id(), new Stat(csv, key, System.nanoTime()));
    return csv;
  }

  /** The load balancer's definition (its label): recreated when it changes. */
  private static String lbHash(ClusterConfig cfg) {
    return hash((definition(cfg) + "agent=" + PostgresConf.AGENT_PORT + "\n").getBytes(StandardCharsets.UTF_8))
        .substring(0, 16);
  }

  /** The label of a load balancer made before it had an agent: adopted by making it again. */
  static String lbHashBeforeAgents(ClusterConfig cfg) {
    return hash(definition(cfg).getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  private static String definition(ClusterConfig cfg) {
    return "image=" + Names.LB_IMAGE + "\nbind=" + cfg.bindAddress() + "\nrw=" + cfg.readWritePort()
        + "\nro=" + cfg.readOnlyPort() + "\n";
  }
}

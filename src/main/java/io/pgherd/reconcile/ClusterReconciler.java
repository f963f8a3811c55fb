package io.pgherd.reconcile;

import com.github.dockerjava.api.exception.ConflictException;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.PostgresCluster;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;
import io.pgherd.docker.ContainerInfo;
import io.pgherd.docker.ContainerSpec;
import io.pgherd.docker.ContainerSpec.FileContent;
import io.pgherd.docker.DockerGateway;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceGateway;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.store.ClusterLog;
import io.pgherd.store.Home;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * One cluster's reconcile pass: observe → validate → gate → steps → status → requeue. One
 * instance per cluster, called from one thread at a time. Steps never wait for a container to
 * become ready: they act and the pass asks to be run again soon.
 */
public final class ClusterReconciler {
  static final String DATA_DIR = "/var/lib/postgresql/data";
  static final Duration FAST = Duration.ofSeconds(1);
  static final Duration STEADY = Duration.ofSeconds(3);
  private static final AtomicLong PASSES = new AtomicLong();

  private final Home home;
  private final DockerGateway docker;
  private final String cluster;
  private final ClusterLog log;
  private final ImageService images;
  /** Last known content hash of files inside containers, by container id and path. */
  private final Map<String, String> fileHashes = new HashMap<>();
  private String lastWarning;
  private String reconcileId = "r0";

  /** Makes sure images exist (building pgherd's own in the background). */
  public interface ImageService {
    /** Empty when the image is present; otherwise why the pass cannot go on yet. */
    Optional<String> ensure(String image);
  }

  public ClusterReconciler(Home home, DockerGateway docker, ImageService images, String cluster) {
    this.home = home;
    this.docker = docker;
    this.images = images;
    this.cluster = cluster;
    this.log = new ClusterLog(home, cluster);
  }

  public String cluster() {
    return cluster;
  }

  /** One pass. Exceptions (Docker unreachable, ...) reach the caller, which backs off. */
  public Result reconcile() {
    reconcileId = "r" + PASSES.incrementAndGet();
    if (java.nio.file.Files.exists(home.deleteRequest(cluster))) {
      return delete();
    }
    Optional<String> text = home.readSpec(cluster);
    if (text.isEmpty()) {
      return Result.finished("no spec stored for " + cluster);
    }
    ValidationResult validation = SpecValidator.parse(text.get());
    if (!validation.ok()) {
      String problems = validation.errors().stream().map(Object::toString).collect(Collectors.joining("; "));
      warnOnce("invalid-spec", "the stored spec is invalid, changing nothing: " + problems);
      PostgresClusterStatus status = home.readStatus(cluster).orElseGet(PostgresClusterStatus::new);
      status.setName(cluster);
      status.setPhase("Error");
      status.setMessage("invalid spec: " + problems);
      writeStatus(status);
      return Result.requeue(Duration.ofSeconds(10), "invalid spec");
    }
    PostgresCluster spec = validation.cluster();
    ClusterConfig cfg = ClusterConfig.from(spec);
    long generation = spec.getMetadata().getGeneration() == null ? 0 : spec.getMetadata().getGeneration();

    for (String image : List.of(cfg.image(), Names.LB_IMAGE)) {
      Optional<String> missing = images.ensure(image);
      if (missing.isPresent()) {
        PostgresClusterStatus status = home.readStatus(cluster).orElseGet(PostgresClusterStatus::new);
        status.setName(cluster);
        status.setPhase("Pending");
        status.setMessage(missing.get());
        writeStatus(status);
        return Result.requeue(Duration.ofSeconds(2), missing.get());
      }
    }

    Observed obs = observe();
    Topology topology = topology(cfg, obs);

    // Safety gate: two members accepting writes is split brain. Change nothing and say why.
    Set<Integer> writable = obs.writable();
    if (writable.size() > 1) {
      String why = "members " + names(writable) + " all accept writes (not in recovery); changing nothing";
      warnOnce("gate", why);
      writeStatus(status(cfg, generation, topology, obs, "Error", why));
      return Result.requeue(STEADY, why);
    }

    Progress progress = new Progress();
    network(progress);
    removeMembers(topology, obs, progress);
    primary(cfg, topology, obs, progress);
    replicas(cfg, topology, obs, progress);
    configuration(cfg, topology, obs, progress);
    slots(topology, obs, progress);
    loadBalancer(cfg, topology, obs, progress);

    Observed after = progress.changed ? observe() : obs;
    PostgresClusterStatus status = status(cfg, generation, topology, after, null, progress.waiting);
    writeStatus(status);
    if (progress.changed || !"Healthy".equals(status.getPhase())) {
      return Result.requeue(FAST, progress.waiting == null ? status.getPhase() : progress.waiting);
    }
    lastWarning = null;
    return Result.requeue(STEADY, "healthy");
  }

  /** What the steps did and what they are waiting for. */
  private static final class Progress {
    boolean changed;
    String waiting;

    void waitFor(String reason) {
      if (waiting == null) {
        waiting = reason;
      }
    }
  }

  // ---------------------------------------------------------------- observe

  Observed observe() {
    boolean network = docker.networkExists(Names.network(cluster));
    Map<Integer, ContainerInfo> members = new TreeMap<>();
    ContainerInfo lb = null;
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      String component = c.label(Names.LABEL_COMPONENT);
      if (Names.COMPONENT_LB.equals(component)) {
        lb = c;
      } else if (Names.COMPONENT_MEMBER.equals(component) && c.label(Names.LABEL_MEMBER) != null) {
        members.put(Names.ordinal(cluster, c.label(Names.LABEL_MEMBER)), c);
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
    Map<Integer, InstanceProbe> probes = new TreeMap<>();
    Map<Integer, String> errors = new TreeMap<>();
    for (var e : members.entrySet()) {
      if (!e.getValue().running()) {
        continue;
      }
      Optional<InstanceGateway> sql = sql(e.getValue());
      if (sql.isEmpty()) {
        errors.put(e.getKey(), "port 5432 is not published");
        continue;
      }
      try {
        probes.put(e.getKey(), sql.get().probe());
      } catch (SQLException ex) {
        errors.put(e.getKey(), ex.getMessage());
      }
    }
    return new Observed(network, members, volumes, lb, probes, errors);
  }

  private Optional<InstanceGateway> sql(ContainerInfo c) {
    Integer port = c.publishedPorts().get(PostgresConf.PORT);
    if (port == null) {
      return Optional.empty();
    }
    return Optional.of(new InstanceGateway("127.0.0.1", port, PostgresConf.SUPERUSER,
        home.secret(cluster, Home.SUPERUSER_PASSWORD)));
  }

  // ---------------------------------------------------------------- topology

  /**
   * The stored topology, or one adopted from what runs (an operator that lost its home), or a new
   * one; then scaled to the spec. Persisted before any step acts on it.
   */
  private Topology topology(ClusterConfig cfg, Observed obs) {
    Optional<Topology> stored = home.readState(cluster);
    Topology current;
    if (stored.isPresent()) {
      current = stored.get();
    } else if (!obs.members().isEmpty() || !obs.volumes().isEmpty()) {
      Set<Integer> ordinals = new TreeSet<>(obs.members().keySet());
      ordinals.addAll(obs.volumes());
      Set<Integer> writable = obs.writable();
      int primary = writable.size() == 1 ? writable.iterator().next() : ordinals.iterator().next();
      current = new Topology(new ArrayList<>(ordinals), ((TreeSet<Integer>) ordinals).last() + 1, primary);
      log.action(reconcileId, "adopt", "no stored state; adopted members " + names(ordinals) + " with primary "
          + member(primary) + " from what exists in Docker");
    } else {
      current = Topology.initial(cfg.instances());
      log.action(reconcileId, "create-cluster", "new cluster with " + cfg.instances() + " member(s): "
          + names(current.members()) + ", " + member(current.primary()) + " the primary");
    }
    Topology scaled = current.scaledTo(cfg.instances());
    if (!scaled.equals(current)) {
      Set<Integer> added = new TreeSet<>(scaled.members());
      added.removeAll(current.members());
      Set<Integer> removed = new TreeSet<>(current.members());
      removed.removeAll(scaled.members());
      log.action(reconcileId, "scale", current.members().size() + " → " + scaled.members().size()
          + " members (spec.instances)" + (added.isEmpty() ? "" : "; adding " + names(added))
          + (removed.isEmpty() ? "" : "; removing " + names(removed)));
    }
    if (stored.isEmpty() || !stored.get().equals(scaled)) {
      home.writeState(cluster, scaled);
    }
    return scaled;
  }

  // ---------------------------------------------------------------- steps

  private void network(Progress progress) {
    String name = Names.network(cluster);
    if (!docker.networkExists(name)) {
      docker.ensureNetwork(name, Map.of(Names.LABEL_CLUSTER, cluster));
      log.action(reconcileId, "create-network", name);
      progress.changed = true;
    }
  }

  /** Members that the topology no longer holds: their container and volume go. */
  private void removeMembers(Topology topology, Observed obs, Progress progress) {
    Set<Integer> gone = new TreeSet<>(obs.members().keySet());
    gone.addAll(obs.volumes());
    gone.removeAll(topology.members());
    for (int ordinal : gone) {
      if (obs.writable().contains(ordinal)) {
        warnOnce("remove-" + ordinal, member(ordinal) + " is not in the topology but accepts writes; not removing it");
        continue;
      }
      ContainerInfo c = obs.members().get(ordinal);
      if (c != null) {
        docker.remove(c.id());
        fileHashes.keySet().removeIf(k -> k.startsWith(c.id()));
      }
      docker.removeVolume(Names.volume(member(ordinal)));
      log.action(reconcileId, "remove-member", member(ordinal) + ": not in the spec any more (scale-in);"
          + " container and volume removed");
      progress.changed = true;
    }
  }

  private void primary(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    int p = topology.primary();
    ContainerInfo c = obs.members().get(p);
    if (c == null) {
      boolean hasData = obs.volumes().contains(p);
      Set<Integer> replicaData = new TreeSet<>(obs.volumes());
      replicaData.retainAll(topology.replicas());
      if (!hasData && !replicaData.isEmpty()) {
        String why = "primary " + member(p) + " has neither container nor volume while replicas "
            + names(replicaData) + " hold data; not initialising a new, diverging primary";
        warnOnce("primary-lost", why);
        progress.waitFor(why);
        return;
      }
      createMember(cfg, topology, p, false);
      log.action(reconcileId, "create-member", member(p) + ": primary, "
          + (hasData ? "existing data volume kept" : "initdb (scram-sha-256, replication role)"));
      progress.changed = true;
      progress.waitFor("starting primary " + member(p));
      return;
    }
    if (!specHash(cfg, p, false).equals(c.label(Names.LABEL_SPEC_HASH))) {
      recreate(cfg, topology, c, p, progress);
      return;
    }
    if (!c.running()) {
      start(c, p, progress);
      return;
    }
    InstanceProbe probe = obs.probes().get(p);
    if (probe == null) {
      progress.waitFor("primary " + member(p) + " not answering yet: " + obs.probeErrors().getOrDefault(p, "starting"));
    } else if (probe.inRecovery()) {
      progress.waitFor("primary " + member(p) + " is in recovery");
    }
  }

  private void replicas(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    boolean primaryReady = primary != null && !primary.inRecovery();
    for (int r : topology.replicas()) {
      ContainerInfo c = obs.members().get(r);
      if (c == null) {
        if (!primaryReady) {
          progress.waitFor("replica " + member(r) + " waits for the primary");
          continue;
        }
        String slot = Names.slot(member(r));
        try {
          if (sql(obs.members().get(topology.primary())).orElseThrow().createSlot(slot)) {
            log.action(reconcileId, "create-slot", slot + " on " + member(topology.primary()) + " for " + member(r));
          }
        } catch (SQLException e) {
          progress.waitFor("cannot create slot " + slot + ": " + e.getMessage());
          continue;
        }
        boolean hasData = obs.volumes().contains(r);
        createMember(cfg, topology, r, true);
        log.action(reconcileId, "create-member", member(r) + ": replica, "
            + (hasData ? "existing data volume kept, streaming from " : "cloning with pg_basebackup from ")
            + member(topology.primary()));
        progress.changed = true;
        progress.waitFor("replica " + member(r) + " starting");
        continue;
      }
      if (!specHash(cfg, r, true).equals(c.label(Names.LABEL_SPEC_HASH))) {
        recreate(cfg, topology, c, r, progress);
        continue;
      }
      if (!c.running()) {
        start(c, r, progress);
        continue;
      }
      InstanceProbe probe = obs.probes().get(r);
      if (probe == null) {
        progress.waitFor("replica " + member(r) + " not answering yet (cloning or starting)");
      } else if (!"streaming".equals(probe.receiverStatus())) {
        progress.waitFor("replica " + member(r) + " not streaming yet");
      }
    }
  }

  private void start(ContainerInfo c, int ordinal, Progress progress) {
    String state = c.state() + (c.status() == null ? "" : " (" + c.status() + ")");
    if ("paused".equals(c.state())) {
      progress.waitFor(member(ordinal) + " is paused");
      return;
    }
    docker.start(c.id());
    log.action(reconcileId, "start-member", member(ordinal) + ": container was " + state);
    progress.changed = true;
    progress.waitFor(member(ordinal) + " starting");
  }

  private void recreate(ClusterConfig cfg, Topology topology, ContainerInfo c, int ordinal, Progress progress) {
    docker.remove(c.id());
    fileHashes.keySet().removeIf(k -> k.startsWith(c.id()));
    createMember(cfg, topology, ordinal, !topology.isPrimary(ordinal));
    log.action(reconcileId, "recreate-member", member(ordinal) + ": container definition changed (image "
        + c.image() + " → " + cfg.image() + "); data volume kept");
    progress.changed = true;
    progress.waitFor(member(ordinal) + " restarting");
  }

  private void createMember(ClusterConfig cfg, Topology topology, int ordinal, boolean clone) {
    String m = member(ordinal);
    String volume = Names.volume(m);
    if (!docker.volumeExists(volume)) {
      docker.createVolume(volume, Map.of(Names.LABEL_CLUSTER, cluster, Names.LABEL_MEMBER, m));
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Names.LABEL_CLUSTER, cluster);
    labels.put(Names.LABEL_MEMBER, m);
    labels.put(Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER);
    labels.put(Names.LABEL_SPEC_HASH, specHash(cfg, ordinal, clone));
    String primaryHost = Names.container(member(topology.primary()));
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(m, clone, primaryHost), 0644));
    files.putAll(configFiles(cfg, topology, ordinal));
    files.put(PostgresConf.SECRETS_DIR + "/" + Home.SUPERUSER_PASSWORD,
        FileContent.of(home.secret(cluster, Home.SUPERUSER_PASSWORD), 0600));
    files.put(PostgresConf.SECRETS_DIR + "/" + Home.REPLICATION_PASSWORD,
        FileContent.of(home.secret(cluster, Home.REPLICATION_PASSWORD), 0600));
    ContainerSpec spec = new ContainerSpec(Names.container(m), cfg.image(), Names.network(cluster), labels,
        Map.of(volume, DATA_DIR), List.of(new ContainerSpec.Port("127.0.0.1", 0, PostgresConf.PORT)), files);
    String id;
    try {
      id = docker.create(spec);
    } catch (ConflictException e) {
      // created by an earlier pass that did not finish: observe again next pass
      return;
    }
    docker.start(id);
  }

  private Map<String, FileContent> configFiles(ClusterConfig cfg, Topology topology, int ordinal) {
    boolean replica = !topology.isPrimary(ordinal);
    String conf = PostgresConf.render(cfg, member(ordinal),
        replica ? Names.container(member(topology.primary())) : null,
        topology.replicas().stream().map(this::member).toList());
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.CONF_PATH, FileContent.of(conf, 0644));
    files.put(PostgresConf.HBA_PATH, FileContent.of(PostgresConf.renderHba(), 0644));
    return files;
  }

  /** Keeps each running member's postgresql.conf and pg_hba.conf as rendered; reloads or restarts. */
  private void configuration(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    List<Integer> order = new ArrayList<>(topology.replicas());
    order.add(topology.primary()); // replicas first, the primary last
    boolean replicaRestarting = false;
    for (int ordinal : order) {
      ContainerInfo c = obs.members().get(ordinal);
      InstanceProbe probe = obs.probes().get(ordinal);
      if (c == null || !c.running() || probe == null) {
        continue;
      }
      Map<String, FileContent> files = configFiles(cfg, topology, ordinal);
      List<String> changed = new ArrayList<>();
      for (var f : files.entrySet()) {
        if (!hash(f.getValue().content()).equals(fileHash(c, f.getKey()))) {
          changed.add(f.getKey().substring(f.getKey().lastIndexOf('/') + 1));
        }
      }
      if (!changed.isEmpty()) {
        docker.copyFiles(c.id(), files);
        files.forEach((path, content) -> fileHashes.put(c.id() + path, hash(content.content())));
        try {
          sql(c).orElseThrow().reloadConf();
          log.action(reconcileId, "reload-config", member(ordinal) + ": " + String.join(", ", changed) + " changed");
        } catch (SQLException e) {
          progress.waitFor("cannot reload " + member(ordinal) + ": " + e.getMessage());
        }
        progress.changed = true;
        continue; // pending_restart shows after the reload: look again next pass
      }
      if (!probe.pendingRestart().isEmpty()) {
        if (topology.isPrimary(ordinal) && replicaRestarting) {
          progress.waitFor("primary restart waits for the replicas");
          continue;
        }
        docker.restart(c.id(), 30);
        log.action(reconcileId, "restart-member", member(ordinal) + ": parameters need a restart: "
            + String.join(", ", probe.pendingRestart()));
        replicaRestarting |= !topology.isPrimary(ordinal);
        progress.changed = true;
      }
    }
  }

  /** The primary holds exactly one slot per replica; slots of no member are dropped. */
  private void slots(Topology topology, Observed obs, Progress progress) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    if (primary == null || primary.inRecovery()) {
      return;
    }
    InstanceGateway sql = sql(obs.members().get(topology.primary())).orElseThrow();
    Set<String> wanted = topology.replicas().stream().map(r -> Names.slot(member(r)))
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> present = primary.slots().stream().map(InstanceProbe.Slot::name)
        .collect(Collectors.toCollection(TreeSet::new));
    try {
      for (String slot : wanted) {
        if (!present.contains(slot) && sql.createSlot(slot)) {
          log.action(reconcileId, "create-slot", slot + " on " + member(topology.primary()));
          progress.changed = true;
        }
      }
      for (InstanceProbe.Slot slot : primary.slots()) {
        if (wanted.contains(slot.name()) || slot.name().startsWith(Names.INTERNAL_SLOT_PREFIX)) {
          continue;
        }
        if (sql.dropSlot(slot.name())) {
          log.action(reconcileId, "drop-slot", slot.name() + " on " + member(topology.primary())
              + ": belongs to no member (restart_lsn " + slot.restartLsn() + ", it would hold WAL forever)");
          progress.changed = true;
        } else {
          warnOnce("slot-" + slot.name(), "slot " + slot.name() + " belongs to no member but is in use; "
              + "dropping it once it is inactive");
        }
      }
    } catch (SQLException e) {
      progress.waitFor("cannot manage slots on " + member(topology.primary()) + ": " + e.getMessage());
    }
  }

  private void loadBalancer(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    String config = haproxyConfig(cfg, topology, obs);
    String name = Names.loadBalancer(cluster);
    String hash = lbHash(cfg);
    ContainerInfo lb = obs.lb();
    if (lb != null && !hash.equals(lb.label(Names.LABEL_SPEC_HASH))) {
      docker.remove(lb.id());
      log.action(reconcileId, "recreate-lb", name + ": listeners changed (spec.loadBalancer)");
      lb = null;
    }
    if (lb == null) {
      Map<String, String> labels = Map.of(Names.LABEL_CLUSTER, cluster, Names.LABEL_COMPONENT, Names.COMPONENT_LB,
          Names.LABEL_SPEC_HASH, hash);
      ContainerSpec spec = new ContainerSpec(name, Names.LB_IMAGE, Names.network(cluster), labels, Map.of(),
          List.of(new ContainerSpec.Port(cfg.bindAddress(), cfg.readWritePort(), HaproxyConf.RW_PORT),
              new ContainerSpec.Port(cfg.bindAddress(), cfg.readOnlyPort(), HaproxyConf.RO_PORT)),
          Map.of(HaproxyConf.PATH, FileContent.of(config, 0644)));
      try {
        String id = docker.create(spec);
        try {
          docker.start(id);
        } catch (RuntimeException e) {
          docker.remove(id);
          throw new IllegalStateException("cannot start the load balancer " + name + " on " + cfg.bindAddress() + ":"
              + cfg.readWritePort() + "/" + cfg.readOnlyPort() + ": " + e.getMessage(), e);
        }
        fileHashes.put(id + HaproxyConf.PATH, hash(config.getBytes(StandardCharsets.UTF_8)));
        log.action(reconcileId, "create-lb", name + ": read-write " + cfg.bindAddress() + ":" + cfg.readWritePort()
            + " → " + member(topology.primary()) + ", read-only " + cfg.bindAddress() + ":" + cfg.readOnlyPort());
      } catch (ConflictException e) {
        // exists already: observe again
      }
      progress.changed = true;
      return;
    }
    String current = fileHash(lb, HaproxyConf.PATH);
    String wanted = hash(config.getBytes(StandardCharsets.UTF_8));
    boolean configChanged = !wanted.equals(current);
    if (configChanged) {
      docker.copyFiles(lb.id(), Map.of(HaproxyConf.PATH, FileContent.of(config, 0644)));
      fileHashes.put(lb.id() + HaproxyConf.PATH, wanted);
      progress.changed = true;
    }
    if (!lb.running()) {
      docker.start(lb.id());
      log.action(reconcileId, "start-lb", name + ": container was " + lb.state() + (configChanged
          ? "; servers now: " + serversSummary(cfg, topology, obs) : ""));
      progress.changed = true;
    } else if (configChanged) {
      // master-worker reload: the new worker takes new connections, the old one keeps its sessions
      docker.signal(lb.id(), "SIGUSR2");
      log.action(reconcileId, "reload-lb", name + ": servers now: " + serversSummary(cfg, topology, obs));
    }
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

  /** A replica's replay lag as the primary sees it; null when unknown (not connected). */
  private Long lagBytes(Topology topology, Observed obs, int replica) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    if (primary == null) {
      return null;
    }
    String app = member(replica);
    return primary.replication().stream().filter(st -> st.applicationName().equals(app)).findFirst()
        .map(InstanceProbe.Standby::lagBytes).orElse(null);
  }

  // ---------------------------------------------------------------- status

  private PostgresClusterStatus status(ClusterConfig cfg, long generation, Topology topology, Observed obs,
      String phaseOverride, String waiting) {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName(cluster);
    s.setObservedGeneration(generation);
    s.setPrimary(member(topology.primary()));
    InstanceProbe primaryProbe = obs.probes().get(topology.primary());
    if (primaryProbe != null) {
      s.setTimeline(primaryProbe.timeline());
    }
    List<io.pgherd.api.MemberStatus> members = new ArrayList<>();
    boolean allHealthy = true;
    for (int ordinal : topology.members()) {
      io.pgherd.api.MemberStatus m = new io.pgherd.api.MemberStatus();
      String name = member(ordinal);
      m.setName(name);
      m.setContainer(Names.container(name));
      boolean isPrimary = topology.isPrimary(ordinal);
      m.setRole(isPrimary ? "primary" : "replica");
      ContainerInfo c = obs.members().get(ordinal);
      InstanceProbe probe = obs.probes().get(ordinal);
      String state;
      if (c == null) {
        state = "missing";
      } else if (!c.running()) {
        state = c.state();
      } else if (probe == null) {
        state = isPrimary ? "starting" : "starting or cloning";
      } else if (isPrimary) {
        state = probe.inRecovery() ? "in recovery" : "running";
      } else {
        state = probe.receiverStatus() == null ? "not streaming" : probe.receiverStatus();
      }
      m.setState(state);
      if (probe != null) {
        m.setLsn(probe.lsn());
        m.setReplayLsn(probe.replayLsn());
        m.setTimeline(probe.timeline());
      }
      if (!isPrimary) {
        m.setSlot(Names.slot(name));
        m.setLagBytes(lagBytes(topology, obs, ordinal));
      } else if (probe != null) {
        m.setLagBytes(0L);
      }
      allHealthy &= isPrimary ? "running".equals(state) : "streaming".equals(state);
      members.add(m);
    }
    s.setMembers(members);
    io.pgherd.api.EndpointsStatus endpoints = new io.pgherd.api.EndpointsStatus();
    endpoints.setReadWrite(cfg.bindAddress() + ":" + cfg.readWritePort());
    endpoints.setReadOnly(cfg.bindAddress() + ":" + cfg.readOnlyPort());
    s.setEndpoints(endpoints);
    boolean lbRunning = obs.lb() != null && obs.lb().running();
    String phase;
    if (phaseOverride != null) {
      phase = phaseOverride;
    } else if (allHealthy && lbRunning) {
      phase = "Healthy";
    } else if (neverHealthy()) {
      phase = "Creating";
    } else {
      phase = "Degraded";
    }
    s.setPhase(phase);
    s.setMessage(phaseOverride != null ? waiting : "Healthy".equals(phase) ? null
        : waiting != null ? waiting : !lbRunning ? "load balancer not running" : null);
    return s;
  }

  /** Creating until the cluster has once been healthy; Degraded after that. */
  private boolean neverHealthy() {
    String previous = home.readStatus(cluster).map(PostgresClusterStatus::getPhase).orElse(null);
    return previous == null || "Pending".equals(previous) || "Creating".equals(previous);
  }

  private void writeStatus(PostgresClusterStatus status) {
    Optional<PostgresClusterStatus> old = home.readStatus(cluster);
    String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    if (old.isPresent() && java.util.Objects.equals(old.get().getPhase(), status.getPhase())
        && java.util.Objects.equals(old.get().getMessage(), status.getMessage())) {
      status.setLastTransitionTime(old.get().getLastTransitionTime());
    } else {
      status.setLastTransitionTime(now);
    }
    if (old.isEmpty() || !Home.JSON.valueToTree(old.get()).equals(Home.JSON.valueToTree(status))) {
      home.writeStatus(cluster, status);
    }
  }

  // ---------------------------------------------------------------- delete

  /** Containers and the network go; volumes and secrets too with purge. */
  private Result delete() {
    boolean purge = Home.readString(home.deleteRequest(cluster)).map(s -> s.contains("purge")).orElse(false);
    List<String> removed = new ArrayList<>();
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      docker.remove(c.id());
      removed.add(c.name());
    }
    docker.removeNetwork(Names.network(cluster));
    List<String> volumes = docker.volumes(Names.LABEL_CLUSTER, cluster);
    if (purge) {
      volumes.forEach(docker::removeVolume);
    }
    log.action(reconcileId, "delete", "removed containers " + removed + " and network " + Names.network(cluster)
        + (purge ? "; purged volumes " + volumes + " and secrets" : "; kept volumes " + volumes));
    home.forget(cluster, purge);
    fileHashes.clear();
    return Result.finished("deleted");
  }

  // ---------------------------------------------------------------- helpers

  private String fileHash(ContainerInfo c, String path) {
    return fileHashes.computeIfAbsent(c.id() + path,
        k -> docker.readFile(c.id(), path).map(ClusterReconciler::hash).orElse("absent"));
  }

  private String specHash(ClusterConfig cfg, int ordinal, boolean replica) {
    return hash(("image=" + cfg.image() + "\nports=127.0.0.1::5432\nvolume=" + Names.volume(member(ordinal)) + "\n")
        .getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  private static String lbHash(ClusterConfig cfg) {
    return hash(("image=" + Names.LB_IMAGE + "\nbind=" + cfg.bindAddress() + "\nrw=" + cfg.readWritePort()
        + "\nro=" + cfg.readOnlyPort() + "\n").getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  static String hash(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  private String member(int ordinal) {
    return Names.member(cluster, ordinal);
  }

  private String names(java.util.Collection<Integer> ordinals) {
    return ordinals.stream().map(this::member).collect(Collectors.joining(", "));
  }

  private void warnOnce(String key, String message) {
    String w = key + ":" + message;
    if (!w.equals(lastWarning)) {
      log.warn(reconcileId, key, message);
      lastWarning = w;
    }
  }

  /** For the operator's error handling: record a failure of a whole pass once per distinct message. */
  public void passFailed(String message) {
    warnOnce("error", message);
    PostgresClusterStatus status = home.readStatus(cluster).orElseGet(PostgresClusterStatus::new);
    status.setName(cluster);
    if (status.getPhase() == null) {
      status.setPhase("Pending");
    }
    status.setMessage(message);
    writeStatus(status);
  }
}

package io.pgherd.reconcile;

import com.github.dockerjava.api.exception.ConflictException;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.PostgresCluster;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;
import io.pgherd.docker.ContainerInfo;
import io.pgherd.docker.MemberAccess;
import io.pgherd.docker.ContainerSpec;
import io.pgherd.docker.ContainerSpec.FileContent;
import io.pgherd.docker.DockerGateway;
import io.pgherd.model.FailoverPlanner;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.InPlaceRestore;
import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.postgres.ControlFile;
import io.pgherd.postgres.InstanceGateway;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.store.ClusterLog;
import io.pgherd.store.ControlRequest;
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
  /** While the primary fails probes: Docker lists a killed container as running for a moment after its die event. */
  static final Duration SOON = Duration.ofMillis(100);
  static final Duration STEADY = Duration.ofSeconds(3);
  private static final AtomicLong PASSES = new AtomicLong();

  private final Home home;
  private final DockerGateway docker;
  private final String cluster;
  private final ClusterLog log;
  private final ImageService images;
  /** Last known content hash of files inside containers, by container id and path. */
  /** Die events from Docker's event stream, by container id: Docker may list a container as running just after. */
  private final Map<String, java.time.Instant> diedAt = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, String> fileHashes = new java.util.concurrent.ConcurrentHashMap<>();
  private String lastWarning;
  private int primaryFailures;
  private java.time.Instant primaryFailingSince;
  private String lastPrimaryLsn;
  /** Rejoining members first seen unable to follow the primary. */
  private final Map<Integer, java.time.Instant> stuckSince = new HashMap<>();
  static final Duration REJOIN_PATIENCE = Duration.ofSeconds(20);
  /** Threads for SQL probes, shared by all clusters; idle ones end after a minute. */
  private static final java.util.concurrent.ExecutorService PROBES = new java.util.concurrent.ThreadPoolExecutor(
      0, 32, 60, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "pgherd-probe");
        t.setDaemon(true);
        return t;
      }, new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());
  static final Duration SHUTDOWN_PATIENCE = Duration.ofSeconds(30);
  static final Duration CATCH_UP_PATIENCE = Duration.ofSeconds(10);
  static final String PGDATA = DATA_DIR + "/pgdata";
  private String reconcileId = "r0";
  private boolean archiveWal;
  private io.pgherd.backup.WalArchiver archiver;
  private String archiverStore;
  private io.pgherd.backup.BackupScheduler scheduler;
  private Runnable wakeMe = () -> { };
  private io.pgherd.backup.BackupRunner backups;
  private String backupsStore;
  /** The primary container's PostgreSQL system identifier, asked once per container. */
  private Map.Entry<String, String> systemIdentifier;
  private volatile java.time.Instant backupDue;
  private PostgresCluster currentSpec;
  private Restorer restorer;
  /** Set by primary() while the first member is restored from backups: the pass stops there. */
  private String restorePhase;
  /**
   * Containers of restored members whose postmaster still recovers (their restore/READY is there):
   * not probed over TCP, which their local-only pg_hba.conf refuses (a FATAL line in their log per
   * probe) until the restore is complete.
   */
  private final Set<String> recovering = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** How soon a pass looks again at a member recovering from backups (it is done in a moment). */
  static final Duration RECOVERING_POLL = Duration.ofMillis(200);
  /** Set by restoreMember while the member recovers: the next pass comes sooner. */
  private boolean restoreRecovering;
  /** This pass found the restore complete: the next pass (which probes the member) follows at once. */
  private boolean restoreProbeNow;
  /** Set with RestoreStep.FAILED. */
  private String restoreFailure;
  /** How this process reaches the members' PostgreSQL: published loopback ports or the cluster network. */
  private final MemberAccess access;
  /** The cluster's CA and server certificates (spec.tls). */
  private final io.pgherd.tls.ClusterTls tls;
  /** This pass looked at a restore: status.restore is filled in. */
  private boolean restoreShown;
  private static final java.time.format.DateTimeFormatter BACKUP_ID =
      java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC);

  /** Makes sure images exist (building pgherd's own in the background). */
  public interface ImageService {
    /** Empty when the image is present; otherwise why the pass cannot go on yet. */
    Optional<String> ensure(String image);
  }

  /** For the CLI's own passes: reaches members the way {@code PGHERD_MEMBERS_VIA} (default auto) says. */
  public ClusterReconciler(Home home, DockerGateway docker, ImageService images, String cluster) {
    this(home, docker, images, cluster, MemberAccess.detectLater(docker, null));
  }

  public ClusterReconciler(Home home, DockerGateway docker, ImageService images, String cluster,
      MemberAccess access) {
    this.access = access;
    this.home = home;
    this.docker = docker;
    this.images = images;
    this.cluster = cluster;
    this.log = new ClusterLog(home, cluster);
    this.tls = new io.pgherd.tls.ClusterTls(home, cluster);
  }

  /** Docker said this container died (its event stream): the primary's death is acted on at once. */
  public void containerDied(String containerId, java.time.Instant at) {
    diedAt.put(containerId, at);
  }

  /** Only the operator archives WAL: a receiver started by a short-lived CLI would die with it. */
  public void archiveWal(boolean on) {
    this.archiveWal = on;
  }

  /**
   * The operator's backup scheduler: the pass keeps this cluster's trigger in line with
   * spec.backup.schedule; wake is called when a backup ends (the status is written again).
   */
  public void scheduleBackups(io.pgherd.backup.BackupScheduler scheduler, Runnable wake) {
    this.scheduler = scheduler;
    this.wakeMe = wake;
  }

  /** The scheduler says a backup is due for this scheduled time: the next pass takes it. */
  public void backupDue(java.time.Instant scheduled) {
    backupDue = scheduled;
  }

  /** Stops what runs beside the passes (the WAL receiver, a base backup: marked failed). */
  public void close() {
    if (restorer != null) {
      restorer.close();
      restorer = null;
    }
    if (backups != null) {
      backups.close();
      backups = null;
    }
    if (archiver != null) {
      archiver.close();
      archiver = null;
    }
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
    currentSpec = spec;
    restorePhase = null;
    restoreShown = false;
    restoreRecovering = false;
    restoreProbeNow = false;
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
    Progress progress = new Progress();

    // A restore in place past its planning: nothing else happens until it has succeeded or failed.
    Optional<InPlaceRestore> inPlace = home.readInPlaceRestore(cluster);
    if (inPlace.isPresent() && !InPlaceRestore.PLANNING.equals(inPlace.get().phase())) {
      return inPlaceRestore(cfg, generation, topology, obs, inPlace.get());
    }

    // A failover whose intent is recorded (by this process or one that crashed) is finished first.
    if (topology.failover() != null) {
      if (!changePrimary(cfg, topology, obs, progress)) {
        writeStatus(status(cfg, generation, topology, obs, "FailingOver", progress.waiting));
        return Result.requeue(FAST, progress.waiting);
      }
      topology = home.readState(cluster).orElseThrow();
      obs = afterPrimaryChange(cfg, topology, obs, progress);
    }

    // Safety gate: a member other than the chosen primary accepts writes.
    Set<Integer> others = new TreeSet<>(obs.writable());
    others.remove(topology.primary());
    if (!others.isEmpty()) {
      if (!obs.writable().contains(topology.primary())) {
        String why = "members " + names(obs.writable()) + " accept writes (not in recovery) but the primary is "
            + member(topology.primary()) + "; changing nothing";
        warnOnce("gate", why);
        writeStatus(status(cfg, generation, topology, obs, "Error", why));
        return Result.requeue(STEADY, why);
      }
      topology = fence(cfg, topology, obs, others);
      obs = observe();
    }

    // A user's switchover or failover request, judged against what is seen now.
    Optional<ControlRequest> request = home.takeControlRequest(cluster);
    if (request.isPresent() && ControlRequest.RESTORE.equals(request.get().kind())) {
      inPlace = requestRestore(topology, request.get(), inPlace);
    } else if (request.isPresent()) {
      Optional<Topology.Failover> intent = judge(cfg, topology, obs, request.get());
      if (intent.isPresent()) {
        topology = topology.withFailover(intent.get());
        home.writeState(cluster, topology); // the intent is stored before anything is touched
        log.action(reconcileId, intent.get().kind(), member(intent.get().from()) + " → " + member(intent.get().to())
            + ": " + intent.get().reason());
        if (!changePrimary(cfg, topology, obs, progress)) {
          writeStatus(status(cfg, generation, topology, obs, "FailingOver", progress.waiting));
          return Result.requeue(FAST, progress.waiting);
        }
        topology = home.readState(cluster).orElseThrow();
        obs = afterPrimaryChange(cfg, topology, obs, progress);
      }
    }

    if (inPlace.isPresent() && planRestore(cfg, topology, inPlace.get(), progress)) {
      return inPlaceRestore(cfg, generation, topology, obs, home.readInPlaceRestore(cluster).orElseThrow());
    }

    // Detection: the primary gone (Docker says so) or not answering for failureThreshold probes.
    Optional<String> down = primaryDown(cfg, topology, obs, progress);
    if (down.isPresent() && cfg.failoverEnabled() && !topology.replicas().isEmpty()) {
      FailoverPlanner.Decision d = FailoverPlanner.choose(candidates(topology, obs), lastPrimaryLsn(topology),
          cfg.maximumLagOnFailoverBytes(), cfg.replicationMode() == ClusterConfig.ReplicationMode.SYNC,
          topology.replicas().stream().map(this::member).collect(Collectors.toSet()), false);
      if (d.chosen().isPresent()) {
        int to = d.chosen().get().ordinal();
        Topology.Failover intent = new Topology.Failover(topology.primary(), to,
            "primary " + member(topology.primary()) + " " + down.get() + "; " + d.reason(), now(), null, null,
            Topology.Failover.AUTOMATIC, null);
        topology = topology.withFailover(intent);
        home.writeState(cluster, topology); // the intent is stored before anything is fenced
        log.action(reconcileId, "failover", member(intent.from()) + " → " + member(to) + ": " + intent.reason());
        if (!changePrimary(cfg, topology, obs, progress)) {
          writeStatus(status(cfg, generation, topology, obs, "FailingOver", progress.waiting));
          return Result.requeue(FAST, progress.waiting);
        }
        topology = home.readState(cluster).orElseThrow();
        obs = afterPrimaryChange(cfg, topology, obs, progress);
      } else {
        String why = "primary " + member(topology.primary()) + " " + down.get() + "; not failing over: " + d.reason();
        warnOnce("no-failover", why.replaceAll(" \\(\\d+ failed probes over \\d+ ms\\)", ""));
        progress.waitFor(why);
      }
    }

    network(progress);
    removeMembers(topology, obs, progress);
    primary(cfg, topology, obs, progress);
    if ("Restoring".equals(restorePhase) && (restorer == null || !restorer.busy())) {
      // ready (its primary down) before the restored primary is: it serves as soon as that does.
      // Created once the member is staged: its start (~1 s of the engine's, containerd's and runc's
      // CPU) slowed the member's own start and then the CPU-bound unpacking
      loadBalancer(cfg, topology, obs, progress);
    }
    if (restorePhase != null) {
      writeStatus(status(cfg, generation, topology, observe(), restorePhase, progress.waiting));
      return Result.requeue("Error".equals(restorePhase) ? Duration.ofSeconds(10)
          : restoreProbeNow ? Duration.ZERO : restoreRecovering ? RECOVERING_POLL : FAST, progress.waiting);
    }
    replicas(cfg, topology, obs, progress);
    topology = rejoins(topology, obs);
    configuration(cfg, topology, obs, progress);
    Optional<io.pgherd.api.BackupConfig> backup = io.pgherd.api.BackupConfig.from(spec);
    archive(backup, topology, obs, progress); // (stops the receiver before slots() drops its slot)
    baseBackups(backup, cfg, topology, obs, progress);
    slots(topology, obs, backup.isPresent(), progress);
    loadBalancer(cfg, topology, obs, progress);

    Observed after = progress.changed ? observe() : obs;
    PostgresClusterStatus status = status(cfg, generation, topology, after, null, progress.waiting);
    writeStatus(status);
    if (progress.changed || !"Healthy".equals(status.getPhase())) {
      return Result.requeue(progress.soon ? SOON : FAST, progress.waiting == null ? status.getPhase() : progress.waiting);
    }
    lastWarning = null;
    return Result.requeue(cfg.probePeriod(), "healthy");
  }

  /** What the steps did and what they are waiting for. */
  private static final class Progress {
    boolean changed;
    String waiting;
    /** Look again soon: the primary is failing, and Docker may not have said it has exited yet. */
    boolean soon;

    void waitFor(String reason) {
      if (waiting == null) {
        waiting = reason;
      }
    }
  }

  // ---------------------------------------------------------------- observe

  Observed observe() {
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
    // Members are probed in parallel: one that hangs (frozen, cut off) delays nobody else's probe.
    Map<Integer, java.util.concurrent.CompletableFuture<Object>> pending = new TreeMap<>();
    for (var e : members.entrySet()) {
      if (!e.getValue().running() || recovering.contains(e.getValue().id())) {
        continue;
      }
      Optional<InstanceGateway> sql = sql(e.getValue());
      pending.put(e.getKey(), java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        if (sql.isEmpty()) {
          return access.mode() == MemberAccess.Mode.PORTS ? "port 5432 is not published"
              : "not attached to " + Names.network(cluster);
        }
        try {
          return sql.get().probe();
        } catch (SQLException ex) {
          return ex.getMessage();
        }
      }, PROBES));
    }
    Map<Integer, InstanceProbe> probes = new TreeMap<>();
    Map<Integer, String> errors = new TreeMap<>();
    pending.forEach((ordinal, future) -> {
      Object outcome = future.join();
      if (outcome instanceof InstanceProbe probe) {
        probes.put(ordinal, probe);
      } else {
        errors.put(ordinal, String.valueOf(outcome));
      }
    });
    return new Observed(network, members, volumes, lb, probes, errors);
  }

  private Optional<InstanceGateway> sql(ContainerInfo c) {
    return postgresAddress(c).map(a -> new InstanceGateway(a.host(), a.port(), PostgresConf.SUPERUSER,
        home.secret(cluster, Home.SUPERUSER_PASSWORD), tls.rootCertificateIfEnforced().orElse(null)));
  }

  /** Where this process reaches the member's PostgreSQL now (see {@link MemberAccess}). */
  private Optional<MemberAccess.Address> postgresAddress(ContainerInfo c) {
    return access.address(c, Names.network(cluster), PostgresConf.PORT);
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
    joinNetwork();
  }

  /** With members reached over the cluster network, the operator's own container must be on it. */
  private void joinNetwork() {
    if (access.join(docker, Names.network(cluster))) {
      log.action(reconcileId, "join-network", "the operator's container joined " + Names.network(cluster)
          + " to reach the members by name");
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
    io.pgherd.api.RecoverySpec recovery = currentSpec.getSpec().getBootstrap() == null ? null
        : currentSpec.getSpec().getBootstrap().getRecovery();
    if (recovery != null && !java.nio.file.Files.exists(home.restoredMarker(cluster))
        && restoreFirstMember(cfg, topology, obs, p, recovery, progress)) {
      return;
    }
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
    if (!specHash(cfg, p).equals(c.label(Names.LABEL_SPEC_HASH))) {
      recreate(cfg, topology, c, p, progress);
      return;
    }
    if (!c.running()) {
      attach(c, p, progress); // a running primary cut off from the network is a failure, not drift
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

  /**
   * spec.bootstrap.recovery: the first member is restored from the source's backups (a
   * {@link Restorer} job) instead of initdb. True while that is under way, refused or failed:
   * the pass goes no further (replicas are cloned from the restored member afterwards).
   */
  private boolean restoreFirstMember(ClusterConfig cfg, Topology topology, Observed obs, int p,
      io.pgherd.api.RecoverySpec recovery, Progress progress) {
    io.pgherd.model.RecoveryTarget target = target(recovery.getTarget());
    String from = recovery.getFrom().getCluster();
    java.nio.file.Path work = home.root().resolve("restore").resolve(cluster);
    if (!java.nio.file.Files.exists(work) && (!obs.volumes().isEmpty() || !obs.members().isEmpty())) {
      // the cluster had data before it was given spec.bootstrap: bootstrap only ever creates a cluster
      warnOnce("bootstrap-ignored", "spec.bootstrap.recovery is ignored: " + cluster + " already has members or"
          + " volumes (bootstrap applies when a cluster is created; use `pgherd restore` on an existing one)");
      markRestored("nothing: the cluster existed before spec.bootstrap was set");
      return false;
    }
    switch (restoreMember(cfg, topology, obs, p, from, target, from + "|" + target, -1, progress)) {
      case RUNNING:
        return true;
      case FAILED:
        restorePhase = "Error";
        boolean byPostgres = restorer.state != Restorer.State.REFUSED && restorer.state != Restorer.State.FAILED;
        progress.waitFor(restoreFailure + (!byPostgres ? ""
            : " (the source and its archive are untouched; fix the target and apply again, after `pgherd delete "
            + cluster + " --purge`)"));
        return true;
      case STOPPED:
        return false; // stopped for another reason: started again by the normal steps
      default:
        String what = restorer.plan == null ? "from the backups of " + from : restorer.plan.describe();
        markRestored(what);
        log.action(reconcileId, "restored", member(p) + " recovered " + what + " and was promoted on timeline "
            + obs.probes().get(p).timeline() + "; the replicas are cloned from it");
        loadBalancerServerUp(obs.lb(), p);
        return false;
    }
  }

  private enum RestoreStep { RUNNING, DONE, FAILED, STOPPED }

  /**
   * Restores member {@code p} of {@code topology} from the backups of {@code from} (a
   * {@link Restorer} job: plan, create the container, stage, start; the entrypoint recovers and
   * promotes). RUNNING while that goes on ({@link #restorePhase} "Restoring"); DONE once the
   * member accepts writes; FAILED (why in {@link #restoreFailure}) when the target was refused,
   * staging failed or PostgreSQL ended recovery with a FATAL; STOPPED when the member's container
   * stopped for another reason.
   */
  private RestoreStep restoreMember(ClusterConfig cfg, Topology topology, Observed obs, int p, String from,
      io.pgherd.model.RecoveryTarget target, String key, long minimumEnd, Progress progress) {
    if (restorer == null) {
      restorer = new Restorer(cluster);
    }
    ContainerInfo c = obs.members().get(p);
    String volume = Names.volume(member(p));
    restoreShown = true;
    if (restorer.busy()) {
      restorePhase = "Restoring";
      progress.waitFor("restore: " + restorer.message);
      return RestoreStep.RUNNING;
    }
    if ((restorer.state == Restorer.State.REFUSED || restorer.state == Restorer.State.FAILED)
        && key.equals(restorer.forSpec)) {
      restoreFailure = "restore " + (restorer.state == Restorer.State.REFUSED ? "refused" : "failed") + ": "
          + restorer.message;
      return RestoreStep.FAILED;
    }
    boolean ours = restorer.state == Restorer.State.STARTED && key.equals(restorer.forSpec);
    if (c == null || (!ours && stagingUnfinished(c))) {
      if (c != null) { // staged by a job that did not finish (an operator stopped mid-way): again, from scratch
        docker.remove(c.id());
      }
      if (docker.volumeExists(volume)) {
        docker.removeVolume(volume);
      }
      Optional<io.pgherd.api.BackupConfig> backup = io.pgherd.api.BackupConfig.from(currentSpec);
      io.pgherd.api.BackupConfig.Store store = backup.map(io.pgherd.api.BackupConfig::store)
          .orElse(new io.pgherd.api.BackupConfig.Filesystem(null));
      log.action(reconcileId, "restore", member(p) + ": restoring from the backups of " + from + " to "
          + target.describe());
      // before the job creates the member: the next pass (woken by its creation) must not take a
      // cluster with a member and no work directory for one that existed before spec.bootstrap
      java.nio.file.Path work = home.root().resolve("restore").resolve(cluster);
      try {
        java.nio.file.Files.createDirectories(work);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot create the restore's work directory " + work, e);
      }
      restorer.start(key, () -> io.pgherd.objectstore.ObjectStores.open(store, home.root(), System::getenv), from,
          target, work, docker, DATA_DIR,
          new Restorer.Member() {
            @Override
            public String create() throws java.io.IOException {
              String id = createMember(cfg, topology, p, "restore");
              if (id == null) {
                throw new java.io.IOException("the container of " + member(p) + " exists already; trying again");
              }
              return id;
            }

            @Override
            public void discard(String container) {
              docker.remove(container);
              if (docker.volumeExists(volume)) {
                docker.removeVolume(volume);
              }
            }
          }, log, minimumEnd);
      restorePhase = "Restoring";
      progress.changed = true;
      progress.waitFor("restore: " + restorer.message);
      return RestoreStep.RUNNING;
    }
    if ("created".equals(c.state())) {
      // started by the job after this pass observed it (the job's state is newer than the observation)
      restorePhase = "Restoring";
      progress.waitFor("restore: " + member(p) + " is starting");
      return RestoreStep.RUNNING;
    }
    if (!c.running()) {
      recovering.remove(c.id()); // (a container started again is looked at afresh)
      readyCheckedAt.remove(c.id());
      String why = Restorer.failure(docker.logs(c.id(), 120));
      if (why != null) {
        warnOnce("restore-failed", member(p) + ": " + why);
        restoreFailure = why;
        return RestoreStep.FAILED;
      }
      return RestoreStep.STOPPED;
    }
    if (stillRecovering(c)) {
      // staged: its postmaster recovers, then takes this cluster's passwords; restore/ goes last
      recovering.add(c.id());
      restoreRecovering = true;
      restorePhase = "Restoring";
      progress.waitFor("restore: " + member(p) + " is recovering"
          + (restorer.plan == null ? "" : " " + restorer.plan.describe()));
      return RestoreStep.RUNNING;
    }
    // restore/ is gone: recovered and open; probed from the next pass on (every step after this one
    // works from the pass's own observation, which did not probe it)
    boolean justRecovered = recovering.remove(c.id());
    InstanceProbe probe = obs.probes().get(p);
    if (probe != null && !probe.inRecovery()) {
      return RestoreStep.DONE;
    }
    restorePhase = "Restoring";
    restoreRecovering = true;
    restoreProbeNow |= justRecovered; // the pass that probes it follows at once
    progress.waitFor("restore: " + member(p) + " is recovering"
        + (restorer.plan == null ? "" : " " + restorer.plan.describe()));
    return RestoreStep.RUNNING;
  }

  /** What the entrypoint logs once the restore is complete and restore/ is gone (pgherd-entrypoint's run_restore). */
  static final String RECOVERED_LINE = "pgherd-entrypoint: restore: recovered, promoted";
  /** How often a recovering member's restore/READY is read even when its log does not say it is done. */
  static final Duration RECOVERING_FILE_CHECK = Duration.ofSeconds(3);
  /** When each recovering member's restore/READY was last read (System.nanoTime). */
  private final Map<String, Long> readyCheckedAt = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Whether a staged member still has {@code restore/READY} (its recovery is not complete). The
   * file is the truth, but reading it is an archive request that makes the engine start a helper
   * process (~0.15 s of CPU): a member known to be recovering is instead looked at through the tail
   * of its log (a few ms), done once that has the entrypoint's "recovered" line; its READY is read
   * again every RECOVERING_FILE_CHECK (a log driver that cannot be read, a line missed).
   */
  private boolean stillRecovering(ContainerInfo c) {
    Long checked = readyCheckedAt.get(c.id());
    if (recovering.contains(c.id()) && checked != null) {
      if (docker.logs(c.id(), 100).contains(RECOVERED_LINE)) {
        readyCheckedAt.remove(c.id()); // (written after restore/ was removed; every restore has a new container)
        return false;
      }
      if (System.nanoTime() - checked < RECOVERING_FILE_CHECK.toNanos()) {
        return true;
      }
    }
    readyCheckedAt.put(c.id(), System.nanoTime());
    boolean ready = docker.readFile(c.id(), DATA_DIR + "/restore/READY").isPresent();
    if (!ready) {
      readyCheckedAt.remove(c.id());
    }
    return ready;
  }

  /**
   * A restore's container whose staging no job finishes (its operator stopped mid-way): only
   * created, or running without {@code READY} and without a data directory (the entrypoint makes
   * the staged backup {@code $PGDATA} only after READY, and removes restore/ once recovered). (The
   * staged target alone missed an operator stopped after the base backup was unpacked but before
   * the target, copied beside it, had arrived: the member waited for READY and the restore for the
   * member, for ever. CrashPointsIT.)
   */
  private boolean stagingUnfinished(ContainerInfo c) {
    if ("created".equals(c.state())) {
      return true;
    }
    return c.running() && docker.readFile(c.id(), DATA_DIR + "/restore/READY").isEmpty()
        && docker.readFile(c.id(), PGDATA + "/PG_VERSION").isEmpty();
  }

  // ---------------------------------------------------------------- restore in place

  /**
   * {@code pgherd restore NAME --to-...}: refused at once when the cluster cannot be restored now;
   * otherwise the intent is stored (phase planning) and the plan made while the cluster serves.
   */
  private Optional<InPlaceRestore> requestRestore(Topology topology, ControlRequest request,
      Optional<InPlaceRestore> current) {
    String refused = null;
    boolean bootstrapping = currentSpec.getSpec().getBootstrap() != null
        && currentSpec.getSpec().getBootstrap().getRecovery() != null
        && !java.nio.file.Files.exists(home.restoredMarker(cluster));
    if (current.isPresent()) {
      refused = "a restore of " + cluster + " is already under way (" + current.get().target().describe() + ", "
          + current.get().phase() + ")";
    } else if (request.target() == null) {
      refused = "the request names no recovery target";
    } else if (io.pgherd.api.BackupConfig.from(currentSpec).isEmpty()) {
      refused = cluster + " has no spec.backup section: there are no backups to restore it from";
    } else if (bootstrapping) {
      refused = cluster + " is still being created from backups (spec.bootstrap.recovery)";
    } else if (backups != null && backups.running().isPresent()) {
      refused = "base backup " + backups.running().get().id() + " is running; restore once it has ended";
    }
    if (refused != null) {
      home.answer(cluster, new ControlRequest.Result(request.id(), false, refused, now()));
      log.warn(reconcileId, "restore-refused", "restore to " + (request.target() == null ? "?"
          : request.target().describe()) + ": " + refused);
      return current;
    }
    InPlaceRestore intent = new InPlaceRestore(request.id(), request.target(), InPlaceRestore.PLANNING, null, now(), null);
    home.writeInPlaceRestore(cluster, intent); // the intent is stored before anything is touched
    log.action(reconcileId, "restore-request", "restore " + cluster + " in place to " + request.target().describe()
        + " (request " + request.id() + "): planning while the members serve");
    return Optional.of(intent);
  }

  /**
   * The planning phase of a restore in place, while the cluster serves: a refused target ends
   * the restore with nothing changed; an accepted plan fixes the replacement members (new
   * ordinals) and moves on to stopping writes — true then, and the caller hands over to
   * {@link #inPlaceRestore}.
   */
  private boolean planRestore(ClusterConfig cfg, Topology topology, InPlaceRestore r, Progress progress) {
    String key = "check|" + r.requestId();
    if (restorer == null) {
      restorer = new Restorer(cluster);
    }
    restoreShown = true;
    if (!key.equals(restorer.forSpec)) {
      Optional<io.pgherd.api.BackupConfig> backup = io.pgherd.api.BackupConfig.from(currentSpec);
      if (backup.isEmpty()) {
        endRestore(r, false, "restore refused: " + cluster + " has no spec.backup section any more");
        return false;
      }
      io.pgherd.api.BackupConfig.Store store = backup.get().store();
      restorer.check(key, () -> io.pgherd.objectstore.ObjectStores.open(store, home.root(), System::getenv), cluster,
          r.target(), home.root().resolve("restore").resolve(cluster), log);
    }
    switch (restorer.state) {
      case PLANNED -> {
        if (backups != null && backups.running().isPresent()) {
          progress.waitFor("restore: planned; waiting for base backup " + backups.running().get().id() + " to end");
          return false;
        }
        int n = topology.nextOrdinal();
        Topology replacement = new Topology(List.of(n), n + 1, n, null, topology.lastFailover(), List.of())
            .scaledTo(cfg.instances());
        home.writeInPlaceRestore(cluster, r.in(InPlaceRestore.STOPPING, replacement));
        // the replacement's ordinals are spent even if the restore fails: names are never reused
        home.writeState(cluster, new Topology(topology.members(), replacement.nextOrdinal(), topology.primary(),
            topology.failover(), topology.lastFailover(), topology.rejoining()));
        log.action(reconcileId, "restore-stop-writes", "restoring " + cluster + " in place: "
            + restorer.plan.describe() + "; the members " + names(topology.members()) + " stop (kept until the"
            + " restore has succeeded) and " + names(replacement.members()) + " replace them");
        return true;
      }
      case REFUSED, FAILED -> {
        endRestore(r, false, "restore " + (restorer.state == Restorer.State.REFUSED ? "refused" : "failed") + ": "
            + restorer.message + "; nothing was changed");
        return false;
      }
      default -> {
        progress.waitFor("restore: " + restorer.message);
        return false;
      }
    }
  }

  private void endRestore(InPlaceRestore r, boolean ok, String message) {
    home.writeInPlaceRestore(cluster, null);
    home.answer(cluster, new ControlRequest.Result(r.requestId(), ok, message, now()));
    if (ok) {
      log.action(reconcileId, "restored", message);
    } else {
      log.warn(reconcileId, "restore-failed", message);
    }
  }

  /**
   * A restore in place once planned: every member stopped (primary first: its receivers get its
   * WAL up to the shutdown checkpoint) and the WAL archive closed after a last upload; then the
   * replacement primary restored like a new cluster's first member. On success the replaced
   * members and volumes are removed and the replacement becomes the cluster's topology (its
   * replicas are cloned by the next passes); on failure the replacement is removed and the old
   * members started again as they were.
   */
  private Result inPlaceRestore(ClusterConfig cfg, long generation, Topology topology, Observed obs,
      InPlaceRestore r) {
    Progress progress = new Progress();
    String busy = "a restore of " + cluster + " in place (" + r.target().describe() + ") is under way; nothing else"
        + " is done until it has ended";
    home.takeControlRequest(cluster).ifPresent(q -> home.answer(cluster, new ControlRequest.Result(q.id(), false,
        busy, now())));
    Topology next = r.replacement();
    int p = next.primary();
    if (InPlaceRestore.REVERTING.equals(r.phase())) {
      revertRestore(topology, observe(), r, p);
      return Result.requeue(FAST, "restore failed");
    }
    network(progress);
    // primary first: its receivers (the WAL archive) get its WAL up to the shutdown checkpoint. Also
    // while restoring: an old member started meanwhile (by hand) is stopped again, as its writes would be lost.
    List<Integer> order = new ArrayList<>(List.of(topology.primary()));
    order.addAll(topology.replicas());
    boolean stopped = false;
    for (int m : order) {
      ContainerInfo c = obs.members().get(m);
      if (c != null && (c.running() || "paused".equals(c.state()))) {
        docker.stop(c.id(), (int) SHUTDOWN_PATIENCE.toSeconds());
        log.action(reconcileId, "restore-stop-member", member(m) + " stopped (its data is kept until the restore"
            + " has succeeded)");
        stopped = true;
      }
    }
    if (InPlaceRestore.STOPPING.equals(r.phase())) {
      if (archiver != null) {
        archiver.close(); // after a last upload: the old primary's WAL up to its shutdown is in the archive
        log.action(reconcileId, "archive-stop", "WAL archiving to " + archiver + " stopped for the restore");
        archiver = null;
      }
      ContainerInfo old = obs.members().get(topology.primary());
      if (old != null) {
        try {
          Optional<byte[]> control = docker.readFile(old.id(), PGDATA + "/global/pg_control");
          if (control.isPresent()) {
            r = r.withPrimaryEnd(Lsn.format(ControlFile.parse(control.get()).checkpointLsn()));
          }
        } catch (IllegalArgumentException e) {
          log.warn(reconcileId, "restore", "cannot read " + member(topology.primary()) + "'s pg_control: "
              + e.getMessage());
        }
      }
      r = r.in(InPlaceRestore.RESTORING, next);
      home.writeInPlaceRestore(cluster, r);
      stopped = true;
    }
    if (stopped) {
      obs = observe();
    }
    long minimumEnd = "latest".equals(r.target().kind()) && r.primaryEnd() != null ? Lsn.parse(r.primaryEnd()) : -1;
    RestoreStep step = restoreMember(cfg, next, obs, p, cluster, r.target(), "in-place|" + r.requestId(), minimumEnd,
        progress);
    if (step == RestoreStep.STOPPED) {
      restoreFailure = "restore failed: the replacement member " + member(p) + " stopped during the restore"
          + " (`docker logs " + Names.container(member(p)) + "` says why)";
      step = RestoreStep.FAILED;
    }
    if (step == RestoreStep.FAILED) {
      r = new InPlaceRestore(r.requestId(), r.target(), InPlaceRestore.REVERTING, next, r.startedAt(),
          r.primaryEnd());
      home.writeInPlaceRestore(cluster, r); // recorded first: a restarted operator finishes the revert
      log.warn(reconcileId, "restore-revert", restoreFailure);
      revertRestore(topology, obs, r, p);
      return Result.requeue(FAST, "restore failed");
    } else if (step == RestoreStep.DONE) {
      try {
        replaceMembers(topology, next, obs, r, p);
      } catch (SQLException e) {
        progress.waitFor("restore: cannot ask " + member(p) + " for its system identifier: " + e.getMessage());
      }
      return Result.requeue(FAST, "restored");
    }
    writeStatus(status(cfg, generation, topology, obs, "Restoring", progress.waiting));
    return Result.requeue(restoreProbeNow ? Duration.ZERO : restoreRecovering ? RECOVERING_POLL : FAST,
        progress.waiting == null ? "restoring" : progress.waiting);
  }

  /** The restore failed: the replacement primary goes, the members it was to replace start again. */
  private void revertRestore(Topology topology, Observed obs, InPlaceRestore r, int p) {
    ContainerInfo c = obs.members().get(p);
    if (c != null) {
      docker.remove(c.id());
    }
    if (docker.volumeExists(Names.volume(member(p)))) {
      docker.removeVolume(Names.volume(member(p)));
    }
    List<Integer> order = new ArrayList<>(List.of(topology.primary()));
    order.addAll(topology.replicas());
    for (int m : order) {
      ContainerInfo old = obs.members().get(m);
      if (old != null && !old.running() && !"paused".equals(old.state())) {
        try {
          docker.start(old.id());
        } catch (RuntimeException e) { // the normal steps start it again
          log.warn(reconcileId, "restore-revert", "starting " + member(m) + " again failed: " + e.getMessage());
        }
      }
    }
    primaryFailures = 0;
    primaryFailingSince = null;
    String failure = restoreFailure == null ? "restore failed (the operator restarted while reverting it)"
        : restoreFailure;
    String why = failure.startsWith("restore refused") || failure.startsWith("restore failed")
        ? failure : "restore failed: " + failure;
    endRestore(r, false, why + "; " + cluster + " is as it was: " + member(p) + " removed, "
        + names(topology.members()) + " started again");
  }

  /**
   * The replacement primary accepts writes: the replaced members and their volumes go, the WAL
   * spool of the abandoned history is cleared (the receiver starts afresh from the new primary's
   * slot), and the replacement becomes the cluster's topology.
   */
  private void replaceMembers(Topology topology, Topology next, Observed obs, InPlaceRestore r, int p)
      throws SQLException {
    ContainerInfo pc = obs.members().get(p);
    String sysid = systemIdentifier(pc);
    Set<Integer> old = new TreeSet<>(obs.members().keySet());
    old.addAll(obs.volumes());
    old.addAll(topology.members());
    old.removeAll(next.members());
    for (int m : old) {
      ContainerInfo c = obs.members().get(m);
      if (c != null) {
        docker.remove(c.id());
        fileHashes.keySet().removeIf(k -> k.startsWith(c.id()));
      }
      if (docker.volumeExists(Names.volume(member(m)))) {
        docker.removeVolume(Names.volume(member(m)));
      }
    }
    java.nio.file.Path spool = home.root().resolve("archive").resolve(cluster).resolve(sysid).resolve("spool");
    if (java.nio.file.Files.isDirectory(spool)) { // kept aside (what it holds may not all be stored): never deleted
      try {
        java.nio.file.Files.move(spool, spool.resolveSibling("spool-before-restore-" + r.requestId()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot set the WAL spool " + spool + " aside", e);
      }
    }
    home.writeState(cluster, next);
    lastPrimaryLsn = null;
    primaryFailures = 0;
    primaryFailingSince = null;
    stuckSince.clear();
    String what = restorer.plan == null ? "to " + r.target().describe() : "from " + restorer.plan.describe();
    endRestore(r, true, cluster + " restored in place " + what + ": " + member(p) + " is the primary on timeline "
        + obs.probes().get(p).timeline() + "; " + names(old) + " and their volumes removed; replicas "
        + names(next.replicas()) + " are cloned from " + member(p));
  }

  private void markRestored(String what) {
    try {
      java.nio.file.Files.createDirectories(home.restoredMarker(cluster).getParent());
      java.nio.file.Files.writeString(home.restoredMarker(cluster), what + "\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static io.pgherd.model.RecoveryTarget target(io.pgherd.api.RecoveryTargetSpec t) {
    if (t == null) {
      return io.pgherd.model.RecoveryTarget.latest();
    }
    boolean inclusive = !Boolean.FALSE.equals(t.getInclusive());
    if (t.getTime() != null) {
      return new io.pgherd.model.RecoveryTarget("time", t.getTime(), inclusive);
    }
    if (t.getXid() != null) {
      return new io.pgherd.model.RecoveryTarget("xid", t.getXid(), inclusive);
    }
    if (t.getLsn() != null) {
      return new io.pgherd.model.RecoveryTarget("lsn", t.getLsn(), inclusive);
    }
    if (t.getName() != null) {
      return new io.pgherd.model.RecoveryTarget("name", t.getName(), true);
    }
    if (Boolean.TRUE.equals(t.getImmediate())) {
      return new io.pgherd.model.RecoveryTarget("immediate", null, true);
    }
    return io.pgherd.model.RecoveryTarget.latest();
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
      if (!specHash(cfg, r).equals(c.label(Names.LABEL_SPEC_HASH))) {
        recreate(cfg, topology, c, r, progress);
        continue;
      }
      attach(c, r, progress);
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

  /** A member cut off from the cluster network (by hand, or fenced that way) is attached again. */
  private void attach(ContainerInfo c, int ordinal, Progress progress) {
    String network = Names.network(cluster);
    if (!c.networks().contains(network)) {
      docker.connectNetwork(c.id(), network);
      log.action(reconcileId, "reconnect", member(ordinal) + ": container was not attached to " + network);
      progress.changed = true;
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
    String id = createMember(cfg, topology, ordinal, clone ? "clone" : "initdb");
    if (id != null) {
      docker.start(id);
    }
  }

  /** Creates the member's volume and container (not started); null when an earlier pass already did. */
  private String createMember(ClusterConfig cfg, Topology topology, int ordinal, String mode) {
    String m = member(ordinal);
    String volume = Names.volume(m);
    if (!docker.volumeExists(volume)) {
      docker.createVolume(volume, Map.of(Names.LABEL_CLUSTER, cluster, Names.LABEL_MEMBER, m));
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Names.LABEL_CLUSTER, cluster);
    labels.put(Names.LABEL_MEMBER, m);
    labels.put(Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER);
    labels.put(Names.LABEL_SPEC_HASH, specHash(cfg, ordinal));
    String primaryHost = Names.container(member(topology.primary()));
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(m, mode, primaryHost), 0644));
    files.putAll(configFiles(cfg, topology, ordinal));
    files.put(PostgresConf.SECRETS_DIR + "/" + Home.SUPERUSER_PASSWORD,
        FileContent.of(home.secret(cluster, Home.SUPERUSER_PASSWORD), 0600));
    files.put(PostgresConf.SECRETS_DIR + "/" + Home.REPLICATION_PASSWORD,
        FileContent.of(home.secret(cluster, Home.REPLICATION_PASSWORD), 0600));
    ContainerSpec spec = new ContainerSpec(Names.container(m), cfg.image(), Names.network(cluster), labels,
        Map.of(volume, DATA_DIR), List.of(new ContainerSpec.Port("127.0.0.1", 0, PostgresConf.PORT)), files);
    try {
      return docker.create(spec);
    } catch (ConflictException e) {
      // created by an earlier pass that did not finish: observe again next pass
      return null;
    }
  }

  private Map<String, FileContent> configFiles(ClusterConfig cfg, Topology topology, int ordinal) {
    boolean replica = !topology.isPrimary(ordinal);
    PostgresConf.Tls mode = tlsMode(cfg);
    String conf = PostgresConf.render(cfg, member(ordinal),
        replica ? Names.container(member(topology.primary())) : null,
        topology.replicas().stream().map(this::member).toList(), mode);
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.CONF_PATH, FileContent.of(conf, 0644));
    files.put(PostgresConf.HBA_PATH, FileContent.of(PostgresConf.renderHba(mode), 0644));
    if (mode.serve()) {
      io.pgherd.tls.ClusterTls.Issued issued = tls.server(member(ordinal), io.pgherd.tls.ClusterTls.names(cfg,
          Names.container(member(ordinal)), Names.loadBalancer(cluster)), java.time.Instant.now(), cfg.tls());
      issued.reason().ifPresent(why -> log.action(reconcileId, "issue-certificate", member(ordinal) + ": " + why
          + "; valid until " + issued.pair().certificate().getNotAfter().toInstant() + " for "
          + io.pgherd.tls.Certificates.altNames(issued.pair().certificate())));
      files.put(io.pgherd.tls.ClusterTls.CA_PATH, FileContent.of(tls.authority(java.time.Instant.now()).certificatePem(), 0644));
      files.put(io.pgherd.tls.ClusterTls.CERT_PATH, FileContent.of(issued.pair().certificatePem(), 0644));
      // PostgreSQL reads its key only when its own user owns it (or root with group access)
      files.put(io.pgherd.tls.ClusterTls.KEY_PATH, FileContent.of(issued.pair().keyPem(), 0600,
          io.pgherd.tls.ClusterTls.POSTGRES_UID));
    }
    return files;
  }

  /**
   * TLS as the members are to be configured now: served while the spec wants it or while it is still
   * enforced (switching off), enforced once every member has served it (see {@link #tlsStep}).
   */
  private PostgresConf.Tls tlsMode(ClusterConfig cfg) {
    boolean enforced = tls.enforced();
    return new PostgresConf.Tls(cfg.tls().enabled() || enforced, cfg.tls().enabled() && enforced);
  }

  /**
   * Moves spec.tls one step once every member runs with the files of the current step: from
   * serving to enforcing when it is wanted, from enforcing back to serving only (and then, with
   * the marker gone, to plain) when it is not.
   */
  private void tlsStep(ClusterConfig cfg, Progress progress) {
    boolean enforced = tls.enforced();
    if (cfg.tls().enabled() && !enforced) {
      tls.enforced(true);
      hbaInForce = false; // the members get the hostssl pg_hba.conf in the next pass
      progress.soon = true;
      log.action(reconcileId, "enforce-tls", "every member serves TLS: connections without it are refused from now"
          + " (clients verify with " + tls.caFile() + ")");
      progress.changed = true;
    } else if (!cfg.tls().enabled() && enforced) {
      tls.enforced(false);
      hbaInForce = false;
      progress.soon = true;
      log.action(reconcileId, "stop-tls", "connections without TLS are admitted again; TLS is switched off next");
      progress.changed = true;
    }
  }

  /**
   * Every running member had the pg_hba.conf rendered for the current TLS mode at the last
   * configuration step (status says "enforced" only then, not as soon as the mode changed).
   */
  private boolean hbaInForce;

  /** Keeps each running member's postgresql.conf and pg_hba.conf as rendered; reloads or restarts. */
  private void configuration(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    hbaInForce = true;
    List<Integer> order = new ArrayList<>(topology.replicas());
    order.add(topology.primary()); // replicas first, the primary last
    boolean replicaRestarting = false;
    boolean allConfigured = true; // every member runs with the files rendered now
    for (int ordinal : order) {
      ContainerInfo c = obs.members().get(ordinal);
      InstanceProbe probe = obs.probes().get(ordinal);
      if (c == null || !c.running() || probe == null) {
        allConfigured = false;
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
        if (changed.contains("pg_hba.conf")) {
          hbaInForce = false; // reloaded now: in force from the next pass's look
        }
        docker.copyFiles(c.id(), files);
        files.forEach((path, content) -> fileHashes.put(c.id() + path, hash(content.content())));
        try {
          sql(c).orElseThrow().reloadConf();
          log.action(reconcileId, "reload-config", member(ordinal) + ": " + String.join(", ", changed) + " changed");
        } catch (SQLException e) {
          progress.waitFor("cannot reload " + member(ordinal) + ": " + e.getMessage());
        }
        progress.changed = true;
        allConfigured = false;
        continue; // pending_restart shows after the reload: look again next pass
      }
      if (!probe.pendingRestart().isEmpty()) {
        allConfigured = false;
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
    if (allConfigured && topology.members().stream().allMatch(order::contains)) {
      tlsStep(cfg, progress);
    }
  }

  /** The primary holds exactly one slot per replica; slots of no member are dropped. */
  private void slots(Topology topology, Observed obs, boolean archiving, Progress progress) {
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
      String archiverSlot = io.pgherd.backup.WalArchiver.SLOT;
      if (archiving && !present.contains(archiverSlot) && sql.createSlot(archiverSlot)) {
        log.action(reconcileId, "create-slot", archiverSlot + " on " + member(topology.primary())
            + " for the WAL archive (it keeps the WAL until it is archived)");
        progress.changed = true;
      } else if (!archiving && present.contains(archiverSlot)) {
        if (sql.dropSlot(archiverSlot)) {
          log.action(reconcileId, "drop-slot", archiverSlot + " on " + member(topology.primary())
              + ": the spec has no backup section any more");
        }
      }
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
    replicaSlots(topology, obs, primary, archiving, progress);
  }

  /**
   * Every replica keeps a slot for each other replica, advanced to where the primary's slot for
   * it stands (never past its own replay position), so whichever replica is promoted already
   * retains the WAL the others need: nobody has to be re-cloned after a failover.
   */
  private void replicaSlots(Topology topology, Observed obs, InstanceProbe primary, boolean archiving,
      Progress progress) {
    Map<String, String> primaryPositions = new HashMap<>();
    primary.slots().forEach(sl -> primaryPositions.put(sl.name(), sl.restartLsn()));
    for (int x : topology.replicas()) {
      InstanceProbe probe = obs.probes().get(x);
      if (probe == null || !probe.inRecovery() || topology.rejoining().contains(x)) {
        continue;
      }
      InstanceGateway sql = sql(obs.members().get(x)).orElseThrow();
      Set<String> wanted = topology.replicas().stream().filter(r -> r != x).map(r -> Names.slot(member(r)))
          .collect(Collectors.toCollection(TreeSet::new));
      if (archiving) {
        wanted.add(io.pgherd.backup.WalArchiver.SLOT); // the archive resumes from a promoted replica too
      }
      Map<String, InstanceProbe.Slot> present = new HashMap<>();
      probe.slots().forEach(sl -> present.put(sl.name(), sl));
      try {
        for (String slot : wanted) {
          InstanceProbe.Slot mine = present.get(slot);
          if (mine == null) {
            if (sql.createSlot(slot)) {
              log.action(reconcileId, "create-slot", slot + " on replica " + member(x) + " (kept for a failover)");
            }
            continue;
          }
          String target = primaryPositions.get(slot);
          if (target == null || probe.replayLsn() == null) {
            continue;
          }
          long to = Math.min(Lsn.parse(target), Lsn.parse(probe.replayLsn()));
          if (to > Lsn.parse(mine.restartLsn())) {
            sql.advanceSlot(slot, Lsn.format(to));
          }
        }
        for (InstanceProbe.Slot sl : probe.slots()) {
          boolean stale = !wanted.contains(sl.name()) && (!sl.name().startsWith(Names.INTERNAL_SLOT_PREFIX)
              || sl.name().equals(io.pgherd.backup.WalArchiver.SLOT));
          if (stale && sql.dropSlot(sl.name())) {
            log.action(reconcileId, "drop-slot", sl.name() + " on replica " + member(x) + ": belongs to no other replica");
          }
        }
      } catch (SQLException e) {
        progress.waitFor("cannot manage slots on replica " + member(x) + ": " + e.getMessage());
      }
    }
  }

  /**
   * With spec.backup, WAL is archived continuously ({@link io.pgherd.backup.WalArchiver}): the
   * receiver follows the primary (its published port), through the archiver's slot. Only in the
   * operator process; a store that cannot be opened is reported and tried again next pass.
   */
  private void archive(Optional<io.pgherd.api.BackupConfig> backup, Topology topology, Observed obs,
      Progress progress) {
    if (!archiveWal) {
      return;
    }
    String wantedStore = backup.map(b -> b.store().toString()).orElse(null);
    if (archiver != null && !java.util.Objects.equals(wantedStore, archiverStore)) {
      archiver.close(); // no backup any more, or another store: the slot keeps the WAL meanwhile
      log.action(reconcileId, "archive-stop", "WAL archiving to " + archiver + " stopped");
      archiver = null;
    }
    if (backup.isEmpty()) {
      return;
    }
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo pc = obs.members().get(topology.primary());
    boolean hasSlot = primary != null && primary.slots().stream()
        .anyMatch(sl -> sl.name().equals(io.pgherd.backup.WalArchiver.SLOT));
    if (primary == null || primary.inRecovery() || pc == null || !hasSlot
        || postgresAddress(pc).isEmpty()) {
      return; // next pass, once the primary (and its archiver slot) is there
    }
    try {
      String sysid = systemIdentifier(pc);
      if (archiver != null && !archiver.base().equals(io.pgherd.backup.WalLayout.base(cluster, sysid))) {
        // the primary is another PostgreSQL cluster than the one archived so far (re-initialised)
        archiver.close();
        log.action(reconcileId, "archive-stop", "WAL archiving to " + archiver + " stopped: the primary's system"
            + " identifier is now " + sysid);
        archiver = null;
      }
      if (archiver == null) {
        io.pgherd.objectstore.ObjectStore store = io.pgherd.objectstore.ObjectStores.open(backup.get().store(),
            home.root(), System::getenv);
        try {
          // one spool per system identifier: WAL of an earlier incarnation never reaches this one's archive
          archiver = new io.pgherd.backup.WalArchiver(cluster,
              home.root().resolve("archive").resolve(cluster).resolve(sysid), store,
              io.pgherd.backup.WalLayout.base(cluster, sysid), home.secret(cluster, Home.REPLICATION_PASSWORD), log);
        } catch (java.io.IOException | RuntimeException e) {
          store.close();
          throw e;
        }
        archiverStore = wantedStore;
      }
      archiver.exited().ifPresent(why -> warnOnce("receiver", why));
      primary.slots().stream().filter(sl -> sl.name().equals(io.pgherd.backup.WalArchiver.SLOT)
          && sl.restartLsn() != null).findFirst().ifPresent(sl -> archiver.noteReceived(
              io.pgherd.model.Lsn.parse(sl.restartLsn())));
      MemberAccess.Address at = postgresAddress(pc).orElseThrow();
      io.pgherd.backup.WalArchiver.Source src = new io.pgherd.backup.WalArchiver.Source(at.host(), at.port(),
          tls.rootCertificateIfEnforced().orElse(null));
      Map.Entry<Long, String> history = archiver.following(src) ? Map.entry(0L, "")
          : sql(pc).orElseThrow().timelineHistory();
      if (archiver.follow(src, history.getKey(), history.getValue())) {
        log.action(reconcileId, "archive", "pg_receivewal streams WAL from " + member(topology.primary())
            + " through slot " + io.pgherd.backup.WalArchiver.SLOT + " to " + archiver);
      }
      String error = archiver.state().error();
      if (error != null) {
        progress.waitFor("WAL archive: " + error);
      }
    } catch (SQLException | java.io.IOException e) {
      warnOnce("archive", "WAL archiving cannot start: " + e.getMessage());
      progress.waitFor("WAL archive: " + e.getMessage());
    }
  }

  /**
   * Base backups: the schedule (Quartz, in the operator) and {@code pgherd backup} requests are
   * turned into backups taken by the cluster's {@link io.pgherd.backup.BackupRunner}, from the
   * healthiest streaming replica (offloading the primary), else the primary. One at a time: a
   * request while one runs is refused, a scheduled slot skipped.
   */
  private void baseBackups(Optional<io.pgherd.api.BackupConfig> backup, ClusterConfig cfg, Topology topology,
      Observed obs, Progress progress) {
    if (scheduler != null) {
      try {
        scheduler.ensure(cluster, backup.map(io.pgherd.api.BackupConfig::schedule).orElse(null));
      } catch (IllegalStateException e) {
        warnOnce("schedule", e.getMessage());
      }
    }
    String wantedStore = backup.map(b -> b.store().toString()).orElse(null);
    if (backups != null && backups.running().isEmpty() && !java.util.Objects.equals(wantedStore, backupsStore)) {
      backups.close(); // no backup section any more, or another store
      backups = null;
    }
    if (backup.isEmpty()) {
      home.takeBackupRequest(cluster).ifPresent(r -> home.answer(cluster, new ControlRequest.Result(r.id(), false,
          cluster + " has no spec.backup section: without a WAL archive a base backup cannot be restored; add one",
          now())));
      backupDue = null;
      return;
    }
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo pc = obs.members().get(topology.primary());
    if (primary == null || primary.inRecovery() || pc == null) {
      return; // requests wait for a primary
    }
    try {
      String base = io.pgherd.backup.WalLayout.base(cluster, systemIdentifier(pc));
      if (backups == null) {
        backups = new io.pgherd.backup.BackupRunner(cluster, home.root().resolve("backup").resolve(cluster), home.root(),
            home.secret(cluster, Home.REPLICATION_PASSWORD), log, System::getenv,
            () -> archiver == null ? -1 : archiver.uploadedLsn(), wakeMe);
        backupsStore = wantedStore;
        backups.refresh(backup.get(), base);
      }
      Optional<ControlRequest> request = home.takeBackupRequest(cluster);
      java.time.Instant due = backupDue;
      backupDue = null;
      if (request.isEmpty() && due == null) {
        return;
      }
      Optional<io.pgherd.backup.BaseBackup.Source> source = backupSource(cfg, topology, obs);
      Runnable prepare = source.isEmpty() || source.get().member().equals(member(topology.primary())) ? () -> { }
          : replicaBackupPrepare(pc, obs.members().get(Names.ordinal(cluster, source.get().member())));
      if (request.isPresent()) {
        String id = BACKUP_ID.format(java.time.Instant.now());
        Optional<String> refused = source.isEmpty() ? Optional.of("no member can be backed up now")
            : backups.start(new io.pgherd.backup.BackupRunner.Request(id, "manual", source.get(), base, backup.get(),
                prepare));
        home.answer(cluster, new ControlRequest.Result(request.get().id(), refused.isEmpty(),
            refused.orElse("backup " + id + " started from " + source.map(s -> s.member()).orElse("?")), now()));
        progress.changed |= refused.isEmpty();
      }
      if (due != null) {
        String id = BACKUP_ID.format(due);
        Optional<String> refused = source.isEmpty() ? Optional.of("no member can be backed up now")
            : backups.start(new io.pgherd.backup.BackupRunner.Request(id, "schedule", source.get(), base, backup.get(),
                prepare));
        if (refused.isPresent()) {
          log.warn(reconcileId, "backup-skip", "scheduled backup " + id + " skipped: " + refused.get());
        }
        progress.changed |= refused.isEmpty();
      }
    } catch (SQLException | java.io.IOException e) {
      warnOnce("backup", "base backups cannot run: " + e.getMessage());
    }
  }

  /**
   * Before a backup from a replica: a checkpoint on the primary, replayed by the replica (up to
   * 10 s), so the replica's restartpoint, where the backup starts, is recent — less WAL to keep
   * and to replay on restore. Without it the backup is still good, from an older restartpoint.
   */
  private Runnable replicaBackupPrepare(ContainerInfo primary, ContainerInfo replica) {
    Optional<InstanceGateway> p = sql(primary);
    Optional<InstanceGateway> r = replica == null ? Optional.empty() : sql(replica);
    return () -> {
      try {
        long checkpoint = io.pgherd.model.Lsn.parse(p.orElseThrow().checkpointLsn());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (io.pgherd.model.Lsn.parse(r.orElseThrow().replayedLsn()) <= checkpoint
            && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      } catch (SQLException | RuntimeException e) {
        log.warn("backup", "backup-checkpoint", "no fresh checkpoint before the backup (it starts from the replica's"
            + " last restartpoint): " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  private String systemIdentifier(ContainerInfo primary) throws SQLException {
    if (systemIdentifier == null || !systemIdentifier.getKey().equals(primary.id())) {
      systemIdentifier = Map.entry(primary.id(), sql(primary).orElseThrow().systemIdentifier());
    }
    return systemIdentifier.getValue();
  }

  /** The streaming replica least behind (on the primary's timeline, within maxReplicaLag), else the primary. */
  private Optional<io.pgherd.backup.BaseBackup.Source> backupSource(ClusterConfig cfg, Topology topology,
      Observed obs) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    Integer best = null;
    long bestLag = Long.MAX_VALUE;
    for (int r : topology.replicas()) {
      InstanceProbe p = obs.probes().get(r);
      ContainerInfo c = obs.members().get(r);
      Long lag = lagBytes(topology, obs, r);
      if (p == null || c == null || postgresAddress(c).isEmpty() || lag == null
          || !"streaming".equals(p.receiverStatus()) || p.timeline() != primary.timeline()
          || topology.rejoining().contains(r) || lag > cfg.maxReplicaLagBytes()) {
        continue;
      }
      if (lag < bestLag) {
        best = r;
        bestLag = lag;
      }
    }
    int chosen = best != null ? best : topology.primary();
    ContainerInfo c = obs.members().get(chosen);
    return postgresAddress(c).map(a -> new io.pgherd.backup.BaseBackup.Source(member(chosen), a.host(), a.port(),
        tls.rootCertificateIfEnforced().orElse(null)));
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

  // ---------------------------------------------------------------- failover

  /**
   * Why the primary counts as down, if it does: its container is gone or not running (Docker
   * says so, at once), or it has not answered SQL for failureThreshold probes spanning at least
   * (failureThreshold - 1) probe periods.
   */
  private Optional<String> primaryDown(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    int p = topology.primary();
    ContainerInfo c = obs.members().get(p);
    InstanceProbe probe = obs.probes().get(p);
    if (probe != null && !probe.inRecovery()) {
      primaryFailures = 0;
      primaryFailingSince = null;
      lastPrimaryLsn = probe.lsn();
      return Optional.empty();
    }
    if (lastPrimaryLsn(topology) == null) {
      return Optional.empty(); // never seen answering: a primary still being created, not a failure
    }
    if (c == null) {
      // a new cluster's primary has no container yet either: only replicas with data can take over
      boolean replicaData = topology.replicas().stream().anyMatch(obs.volumes()::contains);
      return replicaData ? Optional.of("has no container (removed)") : Optional.empty();
    }
    if (!c.running() && !"paused".equals(c.state())) {
      return Optional.of("container is " + c.state() + " (" + c.status() + ")");
    }
    if (c.running() && died(c)) {
      return Optional.of("container died (Docker event at " + diedAt.get(c.id()) + ")");
    }
    if (primaryFailingSince == null) {
      primaryFailingSince = java.time.Instant.now();
    }
    primaryFailures++;
    progress.soon = true;
    String what = "paused".equals(c.state()) ? "is paused (frozen)"
        : probe != null ? "is in recovery" : "does not answer SQL: " + obs.probeErrors().getOrDefault(p, "?");
    Duration failing = Duration.between(primaryFailingSince, java.time.Instant.now());
    Duration window = cfg.probePeriod().multipliedBy(cfg.failureThreshold() - 1L);
    if (primaryFailures >= cfg.failureThreshold() && failing.compareTo(window) >= 0) {
      return Optional.of(what + " (" + primaryFailures + " failed probes over " + failing.toMillis() + " ms)");
    }
    progress.waitFor("primary " + member(p) + " " + what + " (" + primaryFailures + "/" + cfg.failureThreshold() + ")");
    return Optional.empty();
  }

  /**
   * Listed as running, but Docker's event stream said it died: unless it has been started again
   * since (inspected now), it has exited. (Docker can list a container as running for a moment
   * after its die event.)
   */
  private boolean died(ContainerInfo c) {
    java.time.Instant died = diedAt.get(c.id());
    if (died == null) {
      return false;
    }
    Optional<java.time.Instant> since = docker.runningSince(c.id());
    if (since.isEmpty() || since.get().isBefore(died)) {
      return true;
    }
    diedAt.remove(c.id(), died);
    return false;
  }

  /** The primary's last known WAL position: from this process, else from the stored status. */
  private String lastPrimaryLsn(Topology topology) {
    if (lastPrimaryLsn == null) {
      lastPrimaryLsn = home.readStatus(cluster).flatMap(s -> Optional.ofNullable(s.getMembers()).orElse(List.of())
          .stream().filter(m -> m.getName().equals(member(topology.primary()))).findFirst())
          .map(io.pgherd.api.MemberStatus::getLsn).orElse(null);
    }
    return lastPrimaryLsn;
  }

  /** Replicas that may be promoted: not a former primary still rejoining. */
  private List<FailoverPlanner.Candidate> candidates(Topology topology, Observed obs) {
    List<FailoverPlanner.Candidate> out = new ArrayList<>();
    for (int r : topology.replicas()) {
      if (topology.rejoining().contains(r)) {
        continue;
      }
      InstanceProbe probe = obs.probes().get(r);
      boolean reachable = probe != null && probe.inRecovery();
      out.add(new FailoverPlanner.Candidate(member(r), r, reachable, reachable ? probe.lsn() : null,
          reachable ? probe.replayLsn() : null));
    }
    return out;
  }

  /**
   * Carries out the recorded failover: no server in the read-write listener; the old primary
   * killed (disconnected if it cannot be) and told to come back only as a replica; the target
   * promoted; the new topology stored. Each step is idempotent, so a crash anywhere resumes.
   *
   * @return true when the target is the primary and the topology says so
   */
  private boolean failover(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    Topology.Failover f = topology.failover();
    Topology after = new Topology(topology.members(), topology.nextOrdinal(), f.to());
    ContainerInfo old = obs.members().get(f.from());
    // A primary whose container has exited (asked again now) takes no session and accepts no
    // write: the listener is switched to the target while it is promoted, so clients waiting to
    // connect get through the moment it is. Any other primary is out of the listener first.
    boolean exited = old == null || !canRun(old);
    if (old != null && exited) {
      Optional<ContainerInfo> now = docker.container(old.name());
      exited = now.isEmpty() || !canRun(now.get());
    } else if (old != null && old.running()) {
      exited = died(old);
    }
    java.util.concurrent.CompletableFuture<Void> lbFenced = java.util.concurrent.CompletableFuture.completedFuture(null);
    if (exited) {
      lbFenced = java.util.concurrent.CompletableFuture.runAsync(() -> fenceLoadBalancer(cfg, topology, obs));
    } else {
      fenceLoadBalancer(cfg, topology, obs);
    }
    java.util.concurrent.CompletableFuture<Void> told = java.util.concurrent.CompletableFuture.completedFuture(null);
    if (old != null) {
      String how = "container already " + (exited ? "exited" : old.state());
      if (!exited) {
        try {
          docker.kill(old.id());
          how = "container killed (it was " + old.state() + ")";
        } catch (RuntimeException e) {
          docker.disconnectNetwork(old.id(), Names.network(cluster));
          how = "kill failed (" + e.getMessage() + "), disconnected from " + Names.network(cluster);
        }
      }
      // whoever starts it again (the operator, or a person) gets a replica of the new primary;
      // told while the target is promoted, and before the promotion is recorded
      String fenced = how;
      told = java.util.concurrent.CompletableFuture.runAsync(() -> {
        docker.copyFiles(old.id(), memberFiles(cfg, after, f.from()));
        log.action(reconcileId, "fence", member(f.from()) + ": " + fenced + "; it can only start again as a replica of "
            + member(f.to()));
      });
    }
    // both finished (a failure fails the pass: the recorded intent is resumed) before the new
    // topology is recorded and acted on
    java.util.concurrent.CompletableFuture<Void> fencing = java.util.concurrent.CompletableFuture.allOf(lbFenced, told);
    ContainerInfo target = obs.members().get(f.to());
    InstanceProbe probe = obs.probes().get(f.to());
    if (target == null || probe == null) {
      String why = member(f.to()) + " cannot be reached any more ("
          + obs.probeErrors().getOrDefault(f.to(), target == null ? "no container" : target.state()) + ")";
      join(fencing);
      abandon(topology, why + (f.requestId() == null ? "; choosing again" : ""));
      progress.waitFor("failover target " + member(f.to()) + " unreachable; choosing again");
      return false;
    }
    return promote(topology, target, probe, progress, () -> join(fencing));
  }

  /** Waits for a step run alongside; its failure is this thread's, unwrapped. */
  private static void join(java.util.concurrent.CompletableFuture<?> step) {
    try {
      step.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  /** Promotes the recorded target and stores the new topology; true once it is the primary. */
  private boolean promote(Topology topology, ContainerInfo target, InstanceProbe probe, Progress progress) {
    return promote(topology, target, probe, progress, () -> {});
  }

  /**
   * Promotes the recorded target and, once beforeRecord (the steps run alongside) has returned,
   * stores the new topology; true once it is the primary.
   */
  private boolean promote(Topology topology, ContainerInfo target, InstanceProbe probe, Progress progress,
      Runnable beforeRecord) {
    Topology.Failover f = topology.failover();
    InstanceProbe promoted;
    try {
      promoted = probe.inRecovery() ? sql(target).orElseThrow().promoteAndProbe() : sql(target).orElseThrow().probe();
    } catch (SQLException e) {
      beforeRecord.run(); // nothing left running behind the next pass
      progress.waitFor("promoting " + member(f.to()) + ": " + e.getMessage());
      return false;
    }
    beforeRecord.run();
    if (promoted.inRecovery()) {
      progress.waitFor("promoting " + member(f.to()));
      return false;
    }
    home.writeState(cluster, topology.promoted(now(), promoted.timeline()));
    lastPrimaryLsn = promoted.lsn();
    primaryFailures = 0;
    primaryFailingSince = null;
    log.action(reconcileId, "promoted", member(f.to()) + " is the primary on timeline " + promoted.timeline()
        + " at " + promoted.lsn() + "; " + member(f.from()) + (f.isSwitchover() ? " was shut down cleanly and"
        : " is fenced and") + " will rejoin as a replica");
    progress.changed = true;
    return true;
  }

  /** Carries out the recorded change of primary and answers the request behind it, if any. */
  private boolean changePrimary(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    Topology.Failover f = topology.failover();
    boolean done = f.isSwitchover() ? switchover(cfg, topology, obs, progress) : failover(cfg, topology, obs, progress);
    if (done && f.requestId() != null) {
      Topology.Failover last = home.readState(cluster).orElseThrow().lastFailover();
      home.answer(cluster, new ControlRequest.Result(f.requestId(), true, member(f.to()) + " is the primary on timeline "
          + last.timeline() + "; " + member(f.from()) + " rejoins as a replica", now()));
    }
    return done;
  }

  /** Writes resume at once: the read-write listener points at the new primary before anything else. */
  private Observed afterPrimaryChange(ClusterConfig cfg, Topology topology, Observed before, Progress progress) {
    java.util.concurrent.CompletableFuture<Runnable> restarted = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> restartOldPrimary(cfg, topology, before));
    loadBalancer(cfg, topology, before, progress); // what it needs (the LB container, lags) was seen before
    Runnable report = restarted.handle((r, e) -> e == null ? r : (Runnable) () -> progress.waitFor(
        "restarting " + member(topology.lastFailover().from()) + ": " + e.getMessage())).join();
    report.run();
    return observe();
  }

  /**
   * The old primary, if its container has exited, started again at once (its files already say
   * it is a replica of the new primary), after its slot on the new primary: the rejoin (pg_rewind,
   * preceded by the checkpoint it needs, in the entrypoint) starts while the rest of the pass
   * runs. Anything else is left to the replicas step. Returns what to log and record, on the
   * caller's thread.
   */
  private Runnable restartOldPrimary(ClusterConfig cfg, Topology topology, Observed before) {
    Topology.Failover last = topology.lastFailover();
    ContainerInfo primary = before.members().get(topology.primary());
    if (last == null || primary == null) {
      return () -> {};
    }
    Optional<ContainerInfo> old = docker.container(Names.container(member(last.from())));
    if (old.isEmpty() || canRun(old.get()) || !specHash(cfg, last.from()).equals(old.get().label(Names.LABEL_SPEC_HASH))
        || !old.get().networks().contains(Names.network(cluster))) {
      return () -> {};
    }
    String slot = Names.slot(member(last.from()));
    boolean created;
    try {
      created = sql(primary).orElseThrow().createSlot(slot);
    } catch (SQLException e) {
      return () -> {}; // the slots and replicas steps try again
    }
    docker.start(old.get().id());
    String state = old.get().state() + (old.get().status() == null ? "" : " (" + old.get().status() + ")");
    return () -> {
      if (created) {
        log.action(reconcileId, "create-slot", slot + " on " + member(topology.primary()) + " for "
            + member(last.from()));
      }
      log.action(reconcileId, "start-member", member(last.from()) + ": container was " + state
          + "; it rejoins as a replica of " + member(topology.primary()));
    };
  }

  /** The change of primary given up: the intent is cleared, the requester (if any) told why. */
  private void abandon(Topology topology, String why) {
    Topology.Failover f = topology.failover();
    home.writeState(cluster, topology.withFailover(null));
    log.warn(reconcileId, f.kind().replace(' ', '-') + "-abandoned", member(f.from()) + " → " + member(f.to()) + ": " + why);
    if (f.requestId() != null) {
      home.answer(cluster, new ControlRequest.Result(f.requestId(), false, f.kind() + " to " + member(f.to())
          + " abandoned: " + why, now()));
    }
  }

  /** A request accepted becomes an intent; one refused is answered at once and changes nothing. */
  private Optional<Topology.Failover> judge(ClusterConfig cfg, Topology topology, Observed obs, ControlRequest r) {
    boolean switchover = ControlRequest.SWITCHOVER.equals(r.kind());
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo primaryContainer = obs.members().get(topology.primary());
    boolean primaryHealthy = primary != null && !primary.inRecovery() && primaryContainer != null
        && primaryContainer.running();
    Set<String> streaming = new TreeSet<>();
    topology.replicas().forEach(m -> {
      InstanceProbe p = obs.probes().get(m);
      if (p != null && "streaming".equals(p.receiverStatus())) {
        streaming.add(member(m));
      }
    });
    Set<String> others = new TreeSet<>();
    others.add(member(topology.primary()));
    topology.rejoining().forEach(m -> others.add(member(m)));
    FailoverPlanner.RequestPlan plan = FailoverPlanner.forRequest(switchover, r.to(), r.force(),
        member(topology.primary()), primaryHealthy, candidates(topology, obs), streaming, others,
        primaryHealthy ? primary.lsn() : lastPrimaryLsn(topology), cfg.maximumLagOnFailoverBytes(),
        cfg.replicationMode() == ClusterConfig.ReplicationMode.SYNC,
        topology.replicas().stream().map(this::member).collect(Collectors.toSet()));
    if (plan.to().isEmpty()) {
      log.warn(reconcileId, r.kind() + "-refused", plan.reason());
      home.answer(cluster, new ControlRequest.Result(r.id(), false, plan.reason(), now()));
      return Optional.empty();
    }
    String kind = switchover ? Topology.Failover.SWITCHOVER : Topology.Failover.MANUAL;
    return Optional.of(new Topology.Failover(topology.primary(), plan.to().get().ordinal(), plan.reason(), now(), null,
        null, kind, r.id()));
  }

  /**
   * A planned change of primary that loses nothing: the read-write listener emptied, the primary
   * shut down cleanly (fast shutdown: sessions cut, a shutdown checkpoint, and its WAL sender
   * hands every record to the connected replicas before it exits), then the target promoted only
   * once it has received that shutdown checkpoint (read from the stopped primary's pg_control).
   * If anything is off, the switchover is abandoned and the old primary starts again as primary.
   * Each step can be repeated, so an operator crash anywhere resumes.
   */
  private boolean switchover(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    Topology.Failover f = topology.failover();
    ContainerInfo old = obs.members().get(f.from());
    ContainerInfo target = obs.members().get(f.to());
    InstanceProbe probe = obs.probes().get(f.to());
    if (probe != null && !probe.inRecovery()) {
      return promote(topology, target, probe, progress); // promoted before a crash: just record it
    }
    if (old == null || target == null || probe == null) {
      abandonSwitchover(cfg, topology, old, old == null ? member(f.from()) + " has no container"
          : member(f.to()) + " cannot be reached (" + obs.probeErrors().getOrDefault(f.to(), "no container") + ")");
      return false;
    }
    if ("paused".equals(old.state())) {
      abandonSwitchover(cfg, topology, old, member(f.from()) + " is paused");
      return false;
    }
    long started = System.nanoTime();
    long stopped = started;
    Optional<ControlFile> shutDown = Optional.empty();
    if (old.running()) {
      // A checkpoint while writes still flow leaves the shutdown checkpoint little to do, so the
      // pause below is short (what Patroni does before a demotion too).
      long checkpoint = System.nanoTime();
      try {
        sql(old).orElseThrow().checkpoint();
      } catch (SQLException | RuntimeException e) {
        log.warn(reconcileId, "checkpoint", member(f.from()) + ": " + e.getMessage() + "; shutting down without it");
      }
      log.action(reconcileId, "checkpoint", member(f.from()) + ": " + (System.nanoTime() - checkpoint) / 1_000_000
          + " ms, before the shutdown");
      // No new session for the old primary from now on (the ones it has go on writing until the
      // shutdown cuts them): a client reconnecting is turned away at once instead of waiting on
      // a server that is about to disappear.
      ContainerInfo lb = obs.lb();
      if (lb != null && lb.running()) {
        try {
          haproxyAdmin(lb, "set server rw/" + member(f.from()) + " state maint");
        } catch (RuntimeException e) {
          log.warn(reconcileId, "drain-lb", "cannot put rw/" + member(f.from())
              + " in maintenance through the admin socket: " + e.getMessage());
        }
      }
      started = System.nanoTime();
      // Shutting down, the primary takes no new session and cuts the ones it has; the listener
      // is switched to the target meanwhile, so nothing reaches the old one when it comes back.
      docker.signal(old.id(), "SIGINT"); // tini hands it to the postmaster: fast shutdown
      log.action(reconcileId, "demote", member(f.from()) + ": fast shutdown (sessions cut, shutdown checkpoint,"
          + " remaining WAL sent to the replicas)");
      java.util.concurrent.CompletableFuture<Void> fence =
          java.util.concurrent.CompletableFuture.runAsync(() -> fenceLoadBalancer(cfg, topology, obs));
      // Done when pg_control says "shut down": the shutdown checkpoint is written and no session
      // can start any more; the container's own exit comes later and is not waited for.
      shutDown = awaitShutdownCheckpoint(old, SHUTDOWN_PATIENCE);
      stopped = System.nanoTime();
      join(fence);
      if (shutDown.isEmpty() && docker.container(old.name()).map(ClusterReconciler::canRun).orElse(false)) {
        docker.kill(old.id());
        abandonSwitchover(cfg, topology, old, member(f.from()) + " did not shut down within "
            + SHUTDOWN_PATIENCE.toSeconds() + " s; killed (it recovers as the primary)");
        return false;
      }
    }
    fenceLoadBalancer(cfg, topology, obs); // (no-op when done above)
    ControlFile control;
    if (shutDown.isPresent()) {
      control = shutDown.get();
    } else {
      try {
        control = ControlFile.parse(docker.readFile(old.id(), PGDATA + "/global/pg_control")
            .orElseThrow(() -> new IllegalStateException("no " + PGDATA + "/global/pg_control")));
      } catch (RuntimeException e) {
        abandonSwitchover(cfg, topology, old, "cannot read " + member(f.from()) + "'s pg_control: " + e.getMessage());
        return false;
      }
    }
    if (!control.cleanlyShutDown()) {
      abandonSwitchover(cfg, topology, old, member(f.from()) + " did not shut down cleanly (" + control + ")");
      return false;
    }
    String received = null;
    boolean caughtUp = false;
    long deadline = System.nanoTime() + CATCH_UP_PATIENCE.toNanos();
    long controlRead = System.nanoTime();
    while (!caughtUp && System.nanoTime() < deadline) {
      try {
        Optional<String> lsn = sql(target).orElseThrow().receivedLsn();
        received = lsn.orElse("none (promoted)");
        caughtUp = lsn.isEmpty() || Lsn.parse(lsn.get()) > control.checkpointLsn();
      } catch (SQLException e) {
        received = "unknown (" + e.getMessage() + ")";
      }
      if (!caughtUp) {
        sleep(Duration.ofMillis(20));
      }
    }
    if (!caughtUp) {
      abandonSwitchover(cfg, topology, old, member(f.to()) + " received WAL up to " + received + " within "
          + CATCH_UP_PATIENCE.toSeconds() + " s, not the primary's shutdown checkpoint at "
          + Lsn.format(control.checkpointLsn()));
      return false;
    }
    long now = System.nanoTime();
    log.action(reconcileId, "caught-up", member(f.to()) + " received " + received + ", past " + member(f.from())
        + "'s shutdown checkpoint (" + control + "); shutdown " + (stopped - started) / 1_000_000 + " ms, pg_control read "
        + (controlRead - stopped) / 1_000_000 + " ms, catch-up check " + (now - controlRead) / 1_000_000 + " ms");
    Topology after = new Topology(topology.members(), topology.nextOrdinal(), f.to());
    // it starts again as a replica of the target: told so while the target is promoted, and
    // before the promotion is recorded (the old container is started only after that)
    java.util.concurrent.CompletableFuture<Void> told = java.util.concurrent.CompletableFuture.runAsync(
        () -> docker.copyFiles(old.id(), memberFiles(cfg, after, f.from())));
    return promote(topology, target, probe, progress, () -> join(told));
  }

  /** Gives a switchover up; the old primary, told again it is the primary, is started by this pass. */
  private void abandonSwitchover(ClusterConfig cfg, Topology topology, ContainerInfo old, String why) {
    if (old != null) {
      docker.copyFiles(old.id(), memberFiles(cfg, topology, topology.primary()));
    }
    abandon(topology, why);
  }

  /** Running, or able to run again without anyone starting it (paused, restarting). */
  private static boolean canRun(ContainerInfo c) {
    return c.running() || "paused".equals(c.state()) || "restarting".equals(c.state());
  }

  /**
   * Reads the member's pg_control (through the Docker archive API) until it says "shut down";
   * empty when the patience runs out or the container stops first (the caller reads it once more
   * to say why). A read that catches the file mid-write fails its CRC and is simply repeated.
   */
  private Optional<ControlFile> awaitShutdownCheckpoint(ContainerInfo c, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        Optional<byte[]> bytes = docker.readFile(c.id(), PGDATA + "/global/pg_control");
        if (bytes.isPresent()) {
          ControlFile control = ControlFile.parse(bytes.get());
          if (control.cleanlyShutDown()) {
            return Optional.of(control);
          }
        }
      } catch (IllegalArgumentException e) {
        // torn read, or not (yet) a valid file: look again
      }
      Optional<ContainerInfo> now = docker.container(c.name());
      if (now.isEmpty() || !now.get().running()) {
        return Optional.empty();
      }
      sleep(Duration.ofMillis(20));
    }
    return Optional.empty();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * The old primary out of the read-write listener, its sessions cut, and the target alone in
   * it, unchecked ({@link HaproxyConf#renderChange}): the target refuses writes while in recovery,
   * so nobody writes while the primary changes, and clients reconnecting get through the moment
   * it is promoted, without waiting for another reload.
   */
  private void fenceLoadBalancer(ClusterConfig cfg, Topology topology, Observed obs) {
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
    if (!wanted.equals(fileHash(lb, HaproxyConf.PATH))) {
      // First, in the running worker: the old primary out of service and every session on it cut,
      // including connection attempts still retrying (a reload alone leaves those to the old
      // worker, which would complete them once the old primary is back, as a replica).
      String server = "rw/" + member(topology.failover().from());
      try {
        haproxyAdmin(lb, "set server " + server + " state maint", "shutdown sessions server " + server);
      } catch (RuntimeException e) {
        log.warn(reconcileId, "fence-lb", "cannot put " + server + " in maintenance through the admin socket: "
            + e.getMessage() + "; reloading without it");
      }
      docker.copyFiles(lb.id(), Map.of(HaproxyConf.PATH, FileContent.of(config, 0644)));
      fileHashes.put(lb.id() + HaproxyConf.PATH, wanted);
      docker.signal(lb.id(), "SIGUSR2");
      log.action(reconcileId, "fence-lb", Names.loadBalancer(cluster) + ": " + member(f.from())
          + " out of the read-write listener, its sessions cut; " + member(f.to()) + " alone in it");
    }
  }

  /** Commands to the load balancer's running worker, through its admin socket (a docker exec). */
  private void haproxyAdmin(ContainerInfo lb, String... commands) {
    for (String command : commands) {
      if (!command.matches("[a-z /_0-9-]+")) {
        throw new IllegalArgumentException("not an admin socket command pgherd sends: " + command);
      }
    }
    docker.exec(lb.id(), "sh", "-c", "printf '" + String.join("\\n", commands)
        + "\\n' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock");
  }

  /** Members accepting writes that are not the primary: killed; they come back as replicas. */
  private Topology fence(ClusterConfig cfg, Topology topology, Observed obs, Set<Integer> writers) {
    List<Integer> rejoin = new ArrayList<>(topology.rejoining());
    for (int w : writers) {
      ContainerInfo c = obs.members().get(w);
      docker.kill(c.id());
      docker.copyFiles(c.id(), memberFiles(cfg, topology, w));
      log.action(reconcileId, "fence", member(w) + " accepts writes but " + member(topology.primary())
          + " is the primary: killed; it will rejoin as a replica");
      if (!rejoin.contains(w)) {
        rejoin.add(w);
      }
    }
    Topology next = new Topology(topology.members(), topology.nextOrdinal(), topology.primary(), topology.failover(),
        topology.lastFailover(), rejoin);
    home.writeState(cluster, next);
    return next;
  }

  /**
   * Former primaries streaming again on the primary's timeline: say how they came back (pg_rewind
   * or a new clone). One that stays on an older timeline without streaming for longer than
   * {@link #REJOIN_PATIENCE} cannot follow (it has WAL the new primary never had): it is re-cloned.
   */
  private Topology rejoins(Topology topology, Observed obs) {
    Topology next = topology;
    InstanceProbe primary = obs.probes().get(topology.primary());
    for (int r : topology.rejoining()) {
      InstanceProbe probe = obs.probes().get(r);
      ContainerInfo c = obs.members().get(r);
      if (primary == null || primary.inRecovery() || probe == null || c == null || !probe.inRecovery()) {
        continue;
      }
      if ("streaming".equals(probe.receiverStatus()) && probe.timeline() == primary.timeline()) {
        stuckSince.remove(r);
        String logs = docker.logs(c.id(), 400);
        String how = logs.contains("rejoin: re-cloned") ? "re-cloned (pg_rewind failed)"
            : logs.contains("rejoin: pg_rewind succeeded") ? "pg_rewind"
            : logs.contains("clone complete") ? "a new clone" : "its data as it was";
        next = next.rejoined(r);
        log.action(reconcileId, "rejoined", member(r) + " streams from " + member(topology.primary())
            + " on timeline " + probe.timeline() + " after " + how);
        continue;
      }
      java.time.Instant since = stuckSince.computeIfAbsent(r, k -> java.time.Instant.now());
      if (Duration.between(since, java.time.Instant.now()).compareTo(REJOIN_PATIENCE) > 0) {
        stuckSince.remove(r);
        docker.remove(c.id());
        docker.removeVolume(Names.volume(member(r)));
        log.warn(reconcileId, "rejoin-reclone", member(r) + " is on timeline " + probe.timeline() + " (primary "
            + primary.timeline() + ") and not streaming (" + probe.receiverStatus() + ") after "
            + REJOIN_PATIENCE.toSeconds() + "s: its data cannot follow; removed to be cloned again");
      }
    }
    if (next != topology) {
      home.writeState(cluster, next);
    }
    return next;
  }

  /** member.env (bootstrap mode and primary) and configuration of a member in {@code topology}. */
  private Map<String, FileContent> memberFiles(ClusterConfig cfg, Topology topology, int ordinal) {
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(member(ordinal),
        !topology.isPrimary(ordinal), Names.container(member(topology.primary()))), 0644));
    files.putAll(configFiles(cfg, topology, ordinal));
    return files;
  }

  private static String now() {
    return java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
  }

  // ---------------------------------------------------------------- status

  private int lbStatFailures;
  /**
   * How old the load balancer's server states in status may be. Reading them is a {@code docker exec}
   * (~0.1 s of CPU in the engine, containerd and runc): once per pass cost an idle cluster ~10 % of a
   * core, and a restoring one, passing every 200 ms, half a core.
   */
  static final Duration LB_STAT_MAX_AGE = Duration.ofSeconds(3);
  /** The last {@code show stat} read, what it was read for (load balancer and members), and when. */
  private String lbStatCsv;
  private String lbStatKey;
  private long lbStatAt;

  /** The last look at each clone's pg_basebackup: [nanoTime, bytes streamed], for its rate. */
  private final Map<String, long[]> cloneSamples = new java.util.HashMap<>();

  /**
   * A replica being cloned, as its source (the primary) sees the pg_basebackup: "cloning: N of M
   * MB (P%), R MB/s, ETA S s" (rate and ETA from the previous look).
   */
  private Optional<String> cloneProgress(String member, InstanceProbe primary) {
    if (primary == null || primary.baseBackups() == null) {
      return Optional.empty();
    }
    Optional<InstanceProbe.BaseBackup> b = primary.baseBackups().stream()
        .filter(x -> member.equals(x.applicationName())).findFirst();
    if (b.isEmpty()) {
      cloneSamples.remove(member);
      return Optional.empty();
    }
    long now = System.nanoTime();
    long[] last = cloneSamples.put(member, new long[] {now, b.get().streamed()});
    return Optional.of("cloning: " + io.pgherd.backup.BaseBackup.progressText(b.get().streamed(), b.get().total(),
        last == null ? null : (b.get().streamed() - last[1]) / Math.max(1e-3, (now - last[0]) / 1e9))
        + ("streaming database files".equals(b.get().phase()) ? "" : " (" + b.get().phase() + ")"));
  }

  /**
   * Tells the load balancer that member {@code p}, just probed as a writable primary, is up: its own
   * check would need two successes 500 ms apart (rise 2) to let clients through. Best effort: when
   * it fails, HAProxy's checks bring the member in as usual.
   */
  private void loadBalancerServerUp(ContainerInfo lb, int p) {
    if (lb == null || !lb.running()) {
      return;
    }
    try {
      String out = docker.exec(lb.id(), HaproxyConf.serverUp(member(p)).toArray(String[]::new)).strip();
      if (!out.isEmpty()) {
        log.warn(reconcileId, "lb-up", "the load balancer did not take " + member(p) + " as up at once (its checks will): "
            + out);
      }
    } catch (RuntimeException e) {
      log.warn(reconcileId, "lb-up", "the load balancer did not take " + member(p) + " as up at once (its checks will): "
          + e.getMessage());
    }
  }

  /** Which member is in which listener and its state, as HAProxy sees it (its stats socket); left out if unreadable. */
  private void loadBalancerServers(ContainerInfo lb, Topology topology, io.pgherd.api.EndpointsStatus endpoints) {
    // read again when older than LB_STAT_MAX_AGE or when the load balancer or the members changed
    String key = lb.id() + " " + topology.primary() + " " + topology.members();
    String csv = lbStatCsv;
    if (csv == null || !key.equals(lbStatKey) || System.nanoTime() - lbStatAt >= LB_STAT_MAX_AGE.toNanos()) {
      try {
        csv = docker.exec(lb.id(), HaproxyConf.SHOW_STAT.toArray(String[]::new));
      } catch (RuntimeException e) { // e.g. HAProxy starting: said once it lasts
        lbStatCsv = null;
        if (++lbStatFailures == 3) {
          warnOnce("lb-stat", "cannot read the load balancer's server states (status shows none): " + e.getMessage());
        }
        return;
      }
      lbStatFailures = 0;
      lbStatCsv = csv;
      lbStatKey = key;
      lbStatAt = System.nanoTime();
    }
    var servers = HaproxyConf.parseStat(csv);
    java.util.function.Function<String, List<io.pgherd.api.LoadBalancerServerStatus>> of = proxy ->
        servers.getOrDefault(proxy, List.of()).stream()
            .map(f -> new io.pgherd.api.LoadBalancerServerStatus(f[0], f[1])).toList();
    endpoints.setReadWriteServers(of.apply("rw"));
    endpoints.setReadOnlyServers(of.apply("ro"));
  }

  private io.pgherd.api.TlsStatus tlsStatus(ClusterConfig cfg, Topology topology) {
    PostgresConf.Tls mode = tlsMode(cfg);
    if (!mode.serve()) {
      return null;
    }
    io.pgherd.api.TlsStatus t = new io.pgherd.api.TlsStatus();
    t.setState(mode.enforce() && hbaInForce ? "enforced" : "serving");
    t.setCaFile(tls.caFile().toString());
    topology.members().stream()
        .map(o -> tls.expiry(member(o)))
        .flatMap(Optional::stream)
        .min(java.util.Comparator.naturalOrder())
        .ifPresent(at -> t.setCertificatesExpire(at.toString()));
    return t;
  }

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
    if (restoreShown && restorer != null && restorer.target != null) {
      io.pgherd.api.RestoreStatus r = new io.pgherd.api.RestoreStatus();
      Restorer.State st = restorer.state;
      r.setState(st == Restorer.State.STARTED ? "recovering" : st == null ? null : st.name().toLowerCase());
      r.setFrom(restorer.from);
      r.setTarget(restorer.target.describe());
      io.pgherd.backup.RestorePlanner.Plan plan = restorer.plan;
      if (plan != null) {
        r.setBackup(plan.backup().id());
        r.setWal(plan.firstWal() + " .. " + plan.lastWal());
        r.setWalBytes(plan.walBytes());
      }
      r.setMessage(restorer.message);
      s.setRestore(r);
    }
    if (archiver != null || backups != null) {
      io.pgherd.api.BackupsStatus b = new io.pgherd.api.BackupsStatus();
      if (archiver != null) {
        io.pgherd.backup.WalArchiver.State a = archiver.state();
        b.setLastArchivedWal(a.lastSegment());
        b.setCurrentWal(a.partialSegment());
        b.setLastArchiveUpload(a.lastUpload() == null ? null
            : a.lastUpload().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        b.setArchiveError(a.error());
        long uploaded = archiver.uploadedLsn();
        if (uploaded >= 0) {
          b.setArchivedLsn(io.pgherd.model.Lsn.format(uploaded));
        }
        if (primaryProbe != null && primaryProbe.lsn() != null && uploaded >= 0) {
          b.setArchiveLagBytes(Math.max(0, io.pgherd.model.Lsn.parse(primaryProbe.lsn()) - uploaded));
        }
      }
      if (backups != null) {
        backupStatus(b);
      }
      s.setBackups(b);
    }
    s.setTls(tlsStatus(cfg, topology));
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
        state = isPrimary ? "starting" : cloneProgress(name, primaryProbe).orElse("starting or cloning");
      } else if (isPrimary) {
        state = probe.inRecovery() ? "in recovery" : "running";
      } else {
        state = probe.receiverStatus() == null ? "not streaming" : probe.receiverStatus();
      }
      if (topology.rejoining().contains(ordinal) && !"streaming".equals(state)) {
        state = "rejoining (" + state + ")";
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
    Topology.Failover last = topology.lastFailover();
    if (last != null) {
      s.setLastFailover(new io.pgherd.api.FailoverStatus(last.kind(), member(last.from()), member(last.to()), last.reason(),
          last.startedAt(), last.completedAt(), last.timeline()));
    }
    io.pgherd.api.EndpointsStatus endpoints = new io.pgherd.api.EndpointsStatus();
    endpoints.setReadWrite(cfg.bindAddress() + ":" + cfg.readWritePort());
    endpoints.setReadOnly(cfg.bindAddress() + ":" + cfg.readOnlyPort());
    s.setEndpoints(endpoints);
    boolean lbRunning = obs.lb() != null && obs.lb().running();
    if (lbRunning) {
      loadBalancerServers(obs.lb(), topology, endpoints);
    }
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

  private void backupStatus(io.pgherd.api.BackupsStatus b) {
    backups.summary().ifPresent(sum -> {
      b.setCompleteBackups(sum.complete());
      if (sum.newest() != null) {
        b.setLastBackupId(sum.newest().id());
        b.setLastBackupBytes(sum.newest().storedBytes());
        b.setLast(sum.newest().finished());
        b.setFirstRecoverabilityPoint(sum.oldest().finished());
      }
    });
    backups.running().ifPresent(r -> {
      io.pgherd.api.BackupRunStatus run = new io.pgherd.api.BackupRunStatus();
      run.setId(r.id());
      run.setTrigger(r.trigger());
      run.setMember(r.source().member());
      backups.progress().ifPresent(p -> {
        run.setStarted(p.started().toString());
        run.setBytes(p.bytes());
        run.setTotalBytes(p.totalBytes() < 0 ? null : p.totalBytes());
        run.setBytesPerSecond((long) p.bytesPerSecond());
        run.setProgress(p.describe());
      });
      b.setRunning(run);
    });
    backups.last().ifPresent(o -> {
      io.pgherd.api.BackupOutcomeStatus out = new io.pgherd.api.BackupOutcomeStatus();
      out.setId(o.id());
      out.setOk(o.ok());
      out.setMessage(o.message());
      out.setAt(o.at().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
      b.setLastOutcome(out);
    });
    if (scheduler != null) {
      scheduler.next(cluster).ifPresent(t -> b.setNextScheduled(t.toString()));
    }
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
    if (scheduler != null) {
      scheduler.ensure(cluster, null);
    }
    close();
    boolean purge = Home.readString(home.deleteRequest(cluster)).map(s -> s.contains("purge")).orElse(false);
    List<String> removed = new ArrayList<>();
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      docker.remove(c.id());
      removed.add(c.name());
    }
    access.leave(docker, Names.network(cluster));
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

  private String specHash(ClusterConfig cfg, int ordinal) {
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

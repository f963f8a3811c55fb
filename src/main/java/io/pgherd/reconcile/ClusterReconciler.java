package io.pgherd.reconcile;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.PostgresCluster;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;
import io.pgherd.backup.BackupScheduler;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.PassLog;
import io.pgherd.cluster.Progress;
import io.pgherd.cluster.Result;
import io.pgherd.failover.Detector;
import io.pgherd.failover.Failover;
import io.pgherd.failover.Fencing;
import io.pgherd.failover.PrimaryChange;
import io.pgherd.failover.Promotion;
import io.pgherd.failover.Rejoin;
import io.pgherd.failover.Switchover;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.postgres.AgentConnections;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceGateway;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.restore.BootstrapRestore;
import io.pgherd.restore.MemberRestore;
import io.pgherd.restore.RestoreInPlace;
import io.pgherd.restore.RestoreState;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.status.StatusReport;
import io.pgherd.steps.Archive;
import io.pgherd.steps.BaseBackups;
import io.pgherd.steps.Configuration;
import io.pgherd.steps.Deletion;
import io.pgherd.steps.LoadBalancer;
import io.pgherd.steps.LostSlots;
import io.pgherd.steps.Adoption;
import io.pgherd.steps.Members;
import io.pgherd.steps.Observer;
import io.pgherd.steps.Slots;
import io.pgherd.steps.TopologyStep;
import io.pgherd.store.Home;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One cluster's reconcile pass: parse → gates → steps → status → requeue. One instance per
 * cluster, called from one thread at a time. It reads as the pass itself; each step is a class
 * that owns its state (see docs/architecture.md): {@code steps} for the containers, configuration,
 * slots, WAL archive, base backups and load balancer, {@code failover} for detection and every
 * change of primary, {@code restore} for restores, {@code status} for status.json. Steps never
 * wait for a container to become ready: they act and the pass asks to be run again soon.
 */
public final class ClusterReconciler {
  /** While the primary fails probes: Docker lists a killed container as running for a moment after its die event. */
  static final Duration SOON = Duration.ofMillis(100);
  static final Duration STEADY = Duration.ofSeconds(3);
  static final Duration FAST = Result.FAST;

  private final Home home;
  private final ContainerRuntime docker;
  private final String cluster;
  private final PassLog log;
  private final ImageService images;
  private final ClusterScope scope;
  private final Observer observer;
  private final TopologyStep topologyStep;
  private final Members members;
  private final Adoption adoption;
  private final Configuration configuration;
  private final Slots slots;
  private final LostSlots lostSlots;
  private final Archive archive;
  private final BaseBackups baseBackups;
  private final LoadBalancer loadBalancer;
  private final Detector detector;
  /** The young replica the last pass waited for; null: none. */
  private ContainerInfo awaited;
  private final Rejoin rejoin;
  private final PrimaryChange primaryChange;
  private final RestoreState restore = new RestoreState();
  private final BootstrapRestore bootstrapRestore;
  private final RestoreInPlace restoreInPlace;
  private final StatusReport statusReport;
  private final Deletion deletion;
  private final Gates gates;
  private final PassClock clock = new PassClock();

  /** Makes sure images exist (building pgherd's own in the background). */
  public interface ImageService {
    /** Empty when the image is present; otherwise why the pass cannot go on yet. */
    Optional<String> ensure(String image);
  }

  /** For the CLI's own passes: reaches members the way {@code PGHERD_MEMBERS_VIA} (default auto) says. */
  public ClusterReconciler(Home home, ContainerRuntime docker, ImageService images, String cluster) {
    this(home, docker, images, cluster, MemberAccess.detectLater(docker, null));
  }

  public ClusterReconciler(Home home, ContainerRuntime docker, ImageService images, String cluster,
      MemberAccess access) {
    this(home, docker, images, cluster, access, InstanceGateway::new);
  }

  /** With the members' PostgreSQL reached through {@code connector} (the tests' fake). */
  public ClusterReconciler(Home home, ContainerRuntime docker, ImageService images, String cluster,
      MemberAccess access, Instance.Connector connector) {
    this(home, docker, images, cluster, access, connector, new AgentConnections(), Clock.systemUTC());
  }

  /**
   * With the members' agents reached through {@code agents} (the tests' fake; the real one keeps a
   * connection per member) and the steps' decisions timed by {@code clock} (the tests' fake time).
   */
  public ClusterReconciler(Home home, ContainerRuntime docker, ImageService images, String cluster,
      MemberAccess access, Instance.Connector connector, MemberAgent.Connector agents, Clock clock) {
    this.home = home;
    this.docker = docker;
    this.images = images;
    this.cluster = cluster;
    this.scope = new ClusterScope(home, docker, cluster, access, connector, agents, clock);
    this.log = scope.log;
    MemberFiles files = new MemberFiles(scope);
    this.observer = new Observer(scope);
    this.topologyStep = new TopologyStep(scope);
    MemberContainers containers = new MemberContainers(scope, files);
    this.members = new Members(scope, containers);
    this.adoption = new Adoption(scope, containers);
    this.configuration = new Configuration(scope, files);
    this.slots = new Slots(scope);
    this.lostSlots = new LostSlots(scope);
    this.archive = new Archive(scope);
    this.baseBackups = new BaseBackups(scope, archive);
    this.loadBalancer = new LoadBalancer(scope, files);
    this.detector = new Detector(scope);
    Fencing fencing = new Fencing(scope, containers);
    this.rejoin = new Rejoin(scope);
    Promotion promotion = new Promotion(scope, detector);
    this.primaryChange = new PrimaryChange(scope, detector, new Failover(scope, detector, promotion, loadBalancer, containers),
        new Switchover(scope, promotion, loadBalancer, files, containers), rejoin, loadBalancer);
    this.deletion = new Deletion(scope);
    this.statusReport = new StatusReport(scope, files, configuration, archive, baseBackups, loadBalancer,
        lostSlots, restore::status);
    MemberRestore memberRestore = new MemberRestore(scope, restore, containers);
    this.bootstrapRestore = new BootstrapRestore(scope, restore, memberRestore, loadBalancer);
    this.restoreInPlace = new RestoreInPlace(scope, restore, memberRestore, members, observer, archive, baseBackups,
        detector, rejoin, statusReport);
    this.gates = new Gates(scope, observer, detector, fencing, primaryChange, restoreInPlace, statusReport);
  }

  /** Docker said this container died (its event stream): the primary's death is acted on at once. */
  public void containerDied(String containerId, Instant at) {
    detector.containerDied(containerId, at);
  }

  /** Only the operator archives WAL: a receiver started by a short-lived CLI would die with it. */
  public void archiveWal(boolean on) {
    archive.archiveWal(on);
  }

  /**
   * The operator's backup scheduler: the pass keeps this cluster's trigger in line with
   * spec.backup.schedule; wake is called when a backup ends (the status is written again).
   */
  public void scheduleBackups(BackupScheduler scheduler, Runnable wake) {
    baseBackups.scheduleBackups(scheduler, wake);
  }

  /** The scheduler says a backup is due for this scheduled time: the next pass takes it. */
  public void backupDue(Instant scheduled) {
    baseBackups.backupDue(scheduled);
  }

  /** Stops what runs beside the passes (a restore, the WAL receiver, a base backup: marked failed). */
  public void close() {
    restore.close();
    baseBackups.close();
    archive.close();
  }

  /**
   * Whether the last pass waited for a young replica ({@link Progress#awaited}): the operator's
   * worker then asks its agent alone (no listing, no SQL) between passes whether it streams, and
   * runs the next pass as soon as it does.
   */
  public boolean awaits() {
    return awaited != null;
  }

  /** See {@link #awaits}: whether that replica streams now. */
  public boolean awaitedStreams() {
    return awaited != null && observer.streams(awaited);
  }

  public String cluster() {
    return cluster;
  }

  /** One pass. Exceptions (Docker unreachable, ...) reach the caller, which backs off. */
  public Result reconcile() {
    log.begin();
    clock.start();
    awaited = null;
    if (Files.exists(home.deleteRequest(cluster))) {
      return delete();
    }
    Optional<String> text = home.readSpec(cluster);
    if (text.isEmpty()) {
      return Result.finished("no spec stored for " + cluster);
    }
    ValidationResult validation = SpecValidator.parse(text.get());
    if (!validation.ok()) {
      String problems = validation.errors().stream().map(Object::toString).collect(Collectors.joining("; "));
      log.warnOnce("invalid-spec", "the stored spec is invalid, changing nothing: " + problems);
      return statusOnly("Error", "invalid spec: " + problems, Duration.ofSeconds(10), "invalid spec");
    }
    PostgresCluster spec = validation.cluster();
    restore.begin(spec);
    ClusterConfig cfg = ClusterConfig.from(spec);
    for (String image : List.of(cfg.image(), Names.LB_IMAGE)) {
      Optional<String> missing = images.ensure(image);
      if (missing.isPresent()) {
        return statusOnly("Pending", missing.get(), Duration.ofSeconds(2), missing.get());
      }
    }
    Observed obs = observer.observe();
    clock.lap("observe");
    Pass pass = new Pass(spec, cfg, topologyStep.topology(cfg, obs), obs);

    Result stop = gates.check(pass);
    clock.lap("gates");
    if (stop != null) {
      return stop;
    }
    return steps(pass);
  }

  /**
   * When the last pass took longer than {@link PassClock#SLOW}: how long, and its steps the longest
   * first ("2310 ms: observe 1012 ms, load-balancer 1003 ms"); empty otherwise.
   */
  public String slowPass() {
    String steps = clock.slowSteps();
    return steps.isEmpty() ? "" : clock.took().toMillis() + " ms: " + steps;
  }

  /** The steps, replicas first where order matters; then the status and when to look again. */
  private Result steps(Pass pass) {
    ClusterConfig cfg = pass.cfg;
    Progress progress = pass.progress;
    Topology topology = pass.topology;
    Observed obs = pass.obs;
    members.network(progress);
    members.removeMembers(topology, obs, progress);
    if (!bootstrapRestore.restoring(cfg, topology, obs, progress)) {
      members.primary(cfg, topology, obs, progress);
    }
    clock.lap("primary");
    if ("Restoring".equals(restore.phase()) && !restore.busy()) {
      // ready (its primary down) before the restored primary is: it serves as soon as that does.
      // Created once the member is staged: its start (~1 s of the engine's, containerd's and runc's
      // CPU) slowed the member's own start and then the CPU-bound unpacking
      loadBalancer.loadBalancer(cfg, topology, obs, progress);
    }
    if (restore.phase() != null) {
      statusReport.writeStatus(statusReport.status(cfg, pass.generation, topology, observer.observe(), restore.phase(),
          progress.waiting));
      return Result.requeue("Error".equals(restore.phase()) ? Duration.ofSeconds(10) : restore.next(), progress.waiting);
    }
    members.replicas(cfg, topology, obs, progress);
    clock.lap("replicas");
    topology = rejoin.rejoins(topology, obs);
    clock.lap("rejoins");
    obs = lostSlots.reclone(cfg, topology, obs, progress); // replicas whose slot the primary gave up: removed
    clock.lap("lost-slots");
    configuration.configuration(cfg, topology, obs, progress);
    clock.lap("configuration");
    Optional<BackupConfig> backup = BackupConfig.from(pass.spec);
    archive.archive(backup, topology, obs, progress); // (stops the receiver before slots() drops its slot)
    baseBackups.baseBackups(backup, cfg, topology, obs, progress);
    clock.lap("backup");
    slots.slots(topology, obs, backup.isPresent(), progress);
    clock.lap("slots");
    loadBalancer.loadBalancer(cfg, topology, obs, progress);
    clock.lap("load-balancer");
    if (!progress.changed && progress.waiting == null) {
      adoption.adopt(cfg, topology, obs, progress); // members made before the agents, one at a time
    }

    Observed after = progress.changed ? observer.observe() : obs;
    clock.lap("observe-again");
    PostgresClusterStatus status = statusReport.status(cfg, pass.generation, topology, after, null, progress.waiting);
    statusReport.writeStatus(status);
    clock.lap("status");
    if (progress.changed || !"Healthy".equals(status.getPhase())) {
      awaited = progress.awaited;
      return Result.requeue(progress.soon ? SOON : FAST, progress.waiting == null ? status.getPhase() : progress.waiting);
    }
    log.clearWarning();
    return Result.requeue(cfg.probePeriod(), "healthy");
  }

  /** The pass cannot go on (an invalid spec, an image missing): the stored status says why. */
  private Result statusOnly(String phase, String message, Duration next, String reason) {
    PostgresClusterStatus status = home.readStatus(cluster).orElseGet(PostgresClusterStatus::new);
    status.setName(cluster);
    status.setPhase(phase);
    status.setMessage(message);
    statusReport.writeStatus(status);
    return Result.requeue(next, reason);
  }

  /** Containers and the network go; volumes and secrets too with purge. */
  private Result delete() {
    baseBackups.unschedule();
    close();
    return deletion.delete();
  }


  /** For the operator's error handling: record a failure of a whole pass once per distinct message. */
  public void passFailed(String message) {
    log.warnOnce("error", message);
    PostgresClusterStatus status = home.readStatus(cluster).orElseGet(PostgresClusterStatus::new);
    status.setName(cluster);
    if (status.getPhase() == null) {
      status.setPhase("Pending");
    }
    status.setMessage(message);
    statusReport.writeStatus(status);
  }
}

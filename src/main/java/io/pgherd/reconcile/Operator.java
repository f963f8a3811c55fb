package io.pgherd.reconcile;

import io.pgherd.backup.BackupScheduler;
import io.pgherd.cluster.Result;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.store.Home;
import java.io.Closeable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcile loop of one home: one worker thread per cluster (one reconcile at a time per
 * cluster, clusters in parallel), woken by its timer, by changes to the stored spec and by Docker
 * events on the cluster's containers. Failures back off exponentially (2 s × 1.5, at most 30 s).
 */
public final class Operator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Operator.class);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  /** How often a worker asks the agent of a new replica it waits for whether it streams yet. */
  static final Duration AWAIT_POLL = Duration.ofMillis(100);

  private final Home home;
  private final ContainerRuntime docker;
  private final ImageBuilds images;
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  private AutoCloseable lock;
  private BackupScheduler scheduler;
  private Thread scanner;
  private Thread events;
  private volatile boolean running;
  private volatile PassListener passListener = (cluster, took, failure) -> { };

  /** Told about every reconcile pass as it ends (the metrics endpoint): how long, and its failure or null. */
  public interface PassListener {
    void passEnded(String cluster, Duration took, Throwable failure);
  }

  private final MemberAccess access;

  public Operator(Home home, ContainerRuntime docker, Optional<ImageBuilder> builder) {
    this(home, docker, builder, MemberAccess.detectLater(docker, null));
  }

  /** @param access how members are reached: published loopback ports, or the cluster networks by name */
  public Operator(Home home, ContainerRuntime docker, Optional<ImageBuilder> builder,
      MemberAccess access) {
    this.access = access;
    this.home = home;
    this.docker = docker;
    this.images = new ImageBuilds(docker, builder);
  }

  /** The home's lock is held by another process (an operator, or a CLI command doing its own pass). */
  public static final class Locked extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Locked(String message) {
      super(message);
    }
  }

  /** Takes the home's lock (one operator per home) and starts the loop. */
  public void start() {
    lock = home.tryLock().orElseThrow(() -> new Locked(
        "another pgherd operator is running on " + home.root() + " (" + home.lockFile() + " is locked)"));
    home.makePrivate().ifPresent(was -> LOG.warn("{} was {}: made it 0700 (it holds the clusters' secrets)",
        home.root(), was));
    running = true;
    scheduler = new BackupScheduler((cluster, scheduled) -> {
      Worker w = workers.get(cluster);
      if (w != null) {
        w.reconciler.backupDue(scheduled);
        w.wake.release();
      }
    });
    scanner = daemon(this::scan, "pgherd-scanner");
    scanner.start();
    events = daemon(this::watchEvents, "pgherd-docker-events");
    events.start();
    LOG.info("operator started on {} (Docker at {})", home.root(), docker.host());
  }

  /** Sets the listener told about every pass; set it before {@link #start()}. */
  public void onPass(PassListener listener) {
    this.passListener = listener;
  }

  public boolean isRunning() {
    return running;
  }

  /** Run the cluster's reconcile now. */
  public void wake(String cluster) {
    Worker w = workers.get(cluster);
    if (w != null) {
      w.wake.release();
    }
  }

  /** How long the operator waits between two scans of its home when nothing in it changes. */
  static final Duration SCAN_INTERVAL = Duration.ofMillis(500);

  /**
   * Watches the store: a worker per stored spec (or pending delete), woken when the spec changes.
   * A scan follows a change of a stored spec or request at once (inotify), else every SCAN_INTERVAL.
   */
  private void scan() {
    try (StoreWatch watch = new StoreWatch(home.root().resolve("clusters"), home.root().resolve("requests"))) {
      scan(watch);
    }
  }

  private void scan(StoreWatch watch) {
    Map<String, FileTime> seen = new ConcurrentHashMap<>();
    while (running) {
      try {
        Set<String> names = new HashSet<>(home.clusters());
        Path requests = home.root().resolve("requests");
        if (Files.isDirectory(requests)) {
          try (var files = Files.list(requests)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".delete"))
                .map(n -> n.substring(0, n.length() - ".delete".length())).forEach(names::add);
          }
        }
        for (String name : names) {
          FileTime mtime = mtime(home.specFile(name)).orElse(mtime(home.deleteRequest(name)).orElse(FileTime.fromMillis(0)));
          Worker w = workers.get(name);
          if (w == null || !w.thread.isAlive()) {
            ClusterReconciler reconciler = new ClusterReconciler(home, docker, images::ensureImage, name, access);
            reconciler.archiveWal(true);
            reconciler.scheduleBackups(scheduler, () -> wake(name));
            w = new Worker(reconciler);
            workers.put(name, w);
            w.thread.start();
          } else if (!mtime.equals(seen.get(name)) || Files.exists(home.deleteRequest(name))
              || Files.exists(home.controlRequest(name)) || Files.exists(home.backupRequest(name))) {
            w.wake.release();
          }
          seen.put(name, mtime);
        }
        watch.await(SCAN_INTERVAL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        LOG.error("cannot scan {}: {}", home.root(), e.toString());
        sleepQuietly(Duration.ofSeconds(2));
      }
    }
  }

  private static Optional<FileTime> mtime(Path p) {
    try {
      return Optional.of(Files.getLastModifiedTime(p));
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether a container event wakes its cluster's worker: not exec_create/exec_start/exec_die,
   * which the operator's own docker exec causes (a pass reads the load balancer's server states
   * that way): waking on them made every pass start the next one at once.
   */
  static boolean wakes(String action) {
    return action == null || !action.startsWith("exec_");
  }

  /** Docker events on any pgherd container (but its execs) wake that cluster; reconnects with backoff. */
  private void watchEvents() {
    Duration backoff = Duration.ofSeconds(1);
    while (running) {
      Semaphore ended = new Semaphore(0);
      try (Closeable stream = docker.events(Names.LABEL_CLUSTER, event -> {
        Map<String, String> attrs = event.attributes();
        String cluster = attrs.get(Names.LABEL_CLUSTER);
        if (cluster != null && wakes(event.action())) {
          LOG.debug("docker event {} on {}", event.action(), attrs.get("name"));
          Worker w = workers.get(cluster);
          if (w != null && "die".equals(event.action()) && event.containerId() != null && event.at() != null) {
            w.reconciler.containerDied(event.containerId(), event.at());
          }
          wake(cluster);
        }
      }, error -> {
        LOG.warn("Docker event stream ended: {}; reconnecting", error.toString());
        ended.release();
      })) {
        backoff = Duration.ofSeconds(1);
        while (running && !ended.tryAcquire(1, TimeUnit.SECONDS)) {
          // the stream delivers on its own thread
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        LOG.warn("cannot follow Docker events at {}: {}", docker.host(), e.toString());
      }
      if (running) {
        sleepQuietly(backoff);
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  private final class Worker {
    final ClusterReconciler reconciler;
    final Semaphore wake = new Semaphore(0);
    final Thread thread;

    Worker(ClusterReconciler reconciler) {
      this.reconciler = reconciler;
      this.thread = daemon(this::loop, "pgherd-" + reconciler.cluster());
    }

    void loop() {
      Duration backoff = Duration.ofSeconds(2);
      while (running) {
        if (io.pgherd.runtime.Acting.whyNot() != null) { // paused (said where it was decided): no pass
          sleepQuietly(PAUSED_POLL);
          continue;
        }
        Duration delay;
        try {
          long started = System.nanoTime();
          Result r = reconcileAndTell();
          LOG.debug("{}: pass took {} ms: {}", reconciler.cluster(), (System.nanoTime() - started) / 1_000_000,
              r.reason());
          String slow = reconciler.slowPass();
          if (!slow.isEmpty()) { // where a lost host's timeouts went
            LOG.info("{}: slow pass, {}", reconciler.cluster(), slow);
          }
          if (r.done()) {
            LOG.info("{}: {}", reconciler.cluster(), r.reason());
            workers.remove(reconciler.cluster(), this);
            reconciler.close();
            return;
          }
          delay = r.delay();
          backoff = Duration.ofSeconds(2);
        } catch (io.pgherd.runtime.Acting.NotActing e) {
          LOG.debug("{}: pass ended: {}", reconciler.cluster(), e.getMessage());
          continue; // paused meanwhile: the loop's head waits until this operator may act again
        } catch (EngineUnavailableException e) {
          reconciler.passFailed(e.getMessage() + "; retrying in " + backoff.toSeconds() + "s");
          delay = backoff;
          backoff = next(backoff);
        } catch (Exception e) {
          LOG.debug("reconcile of {} failed", reconciler.cluster(), e);
          reconciler.passFailed("reconcile failed: " + e + "; retrying in " + backoff.toSeconds() + "s");
          delay = backoff;
          backoff = next(backoff);
        } catch (Error e) { // this worker's state is suspect: a new one starts from what is stored (the scanner)
          LOG.error("reconcile of {} failed; its worker restarts", reconciler.cluster(), e);
          try {
            reconciler.passFailed("reconcile failed: " + e + "; the cluster's worker restarts");
          } finally {
            workers.remove(reconciler.cluster(), this);
            reconciler.close();
          }
          return;
        }
        try {
          await(delay);
          wake.drainPermits();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    /**
     * Until the next pass: {@code delay}, a wake-up (a Docker event, a changed spec or request), or
     * the new replica the last pass waited for streaming — asked of its agent every
     * {@link #AWAIT_POLL}, so the status says so within that, not a second later.
     */
    private void await(Duration delay) throws InterruptedException {
      if (!reconciler.awaits()) {
        wake.tryAcquire(delay.toMillis(), TimeUnit.MILLISECONDS);
        return;
      }
      long deadline = System.nanoTime() + delay.toNanos();
      while (true) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0 || wake.tryAcquire(Math.min(left, AWAIT_POLL.toMillis()), TimeUnit.MILLISECONDS)) {
          return;
        }
        if (left > AWAIT_POLL.toMillis() && reconciler.awaitedStreams()) {
          LOG.debug("{}: the replica the last pass waited for streams", reconciler.cluster());
          return;
        }
      }
    }

    /** One pass, told to the {@link PassListener} (a failing listener changes nothing). */
    private Result reconcileAndTell() {
      long started = System.nanoTime();
      Throwable failure = null;
      try {
        return reconciler.reconcile();
      } catch (RuntimeException | Error e) {
        failure = e;
        throw e;
      } finally {
        try {
          passListener.passEnded(reconciler.cluster(), Duration.ofNanos(System.nanoTime() - started), failure);
        } catch (RuntimeException e) {
          LOG.debug("pass listener failed", e);
        }
      }
    }
  }

  /** How often a paused operator's workers look whether they may act again. */
  static final Duration PAUSED_POLL = Duration.ofMillis(200);

  private static Duration next(Duration backoff) {
    Duration n = Duration.ofMillis((long) (backoff.toMillis() * 1.5));
    return n.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : n;
  }

  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the loop (waiting for passes in flight) and releases the lock. Containers keep running. */
  @Override
  public void close() throws Exception {
    running = false;
    if (scheduler != null) {
      scheduler.close();
    }
    if (scanner != null) {
      scanner.interrupt();
      scanner.join(5000);
    }
    for (Worker w : workers.values()) {
      w.wake.release();
      w.thread.join(30000);
      w.reconciler.close(); // the WAL receiver stops; the slot keeps the WAL until the next operator
    }
    if (events != null) {
      events.interrupt();
      events.join(5000);
    }
    images.close();
    if (lock != null) {
      lock.close();
    }
    LOG.info("operator stopped");
  }
}

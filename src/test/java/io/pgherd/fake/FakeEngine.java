package io.pgherd.fake;

import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * An in-memory Docker engine for tests of the reconcile pass, with the semantics of
 * {@code docker.DockerGateway} ("desired or absent": removing, stopping or killing what is absent
 * or not running is fine; starting, restarting, signalling, copying into or exec'ing in an absent
 * container throws; a taken name on create is a {@link NameTakenException}; a fixed host port
 * published by a running container cannot be published again).
 *
 * <p>It keeps containers (state created/running/paused/exited, labels, networks, files copied in,
 * output lines, a unique fake host port for each published port, assigned at every start like an
 * ephemeral one), volumes and networks, and delivers container events (create, start, kill, die,
 * stop, destroy) to {@link #events} listeners ({@link ContainerStore}); the containers' lives are
 * {@link ContainerLifecycle}'s, their files, execs and output {@link ContainerFiles}'. Member
 * containers run a simulated entrypoint and PostgreSQL ({@link FakePostgres}, from
 * {@link #postgres()}); the load balancer ({@link FakeHaproxy}) runs the configuration it loaded and
 * answers the admin-socket commands the reconciler sends ({@code show stat}, {@code set server ...
 * state maint}).
 *
 * <p>{@link #history()} lists every mutating call (engine and SQL) in order, e.g. {@code create
 * pgherd-demo-1}, {@code start pgherd-demo-1}, {@code copy pgherd-demo-1 [member.env,
 * postgresql.conf, pg_hba.conf, ca.crt, agent.crt, agent.key, agent.conf]}, {@code exec pgherd-demo-lb sh -c
 * ...}, {@code sql pgherd-demo-1 create-slot demo_2}; a call that failed ends with
 * {@code [failed: why]}.
 *
 * <p>Failure switches: {@link #unreachable}, {@link #slow}, {@link #failExec}, {@link #crash},
 * {@link #loseEvents}, {@link #staleListings}, {@link #pause}; SQL switches are on
 * {@link FakePostgres}. Simulated time advances at every label listing ({@link #containers}: one
 * per observation of a pass): booting members go on, primaries take writes, replicas stream.
 * Event and start times follow the clock given ({@link FakeClock} in tests of the pass).
 *
 * <p>Thread-safe: the reconciler calls it from several threads at once. Every call holds this
 * object's lock except while a {@link #slow} delay or a {@link FakePostgres#hang} runs.
 */
public final class FakeEngine extends EngineGate implements ContainerRuntime {
  public static final String HOST = EngineGate.HOST;
  static final int POSTGRES_PORT = 5432;

  private final ContainerStore store;
  private final FakePostgres postgres;
  private final ContainerLifecycle lifecycle;
  private final ContainerFiles files;
  private final FakeHaproxy haproxy;

  public FakeEngine() {
    this(Clock.systemUTC());
  }

  /** An engine whose event and start times follow {@code clock} (a test's {@link FakeClock}). */
  public FakeEngine(Clock clock) {
    this.store = new ContainerStore(clock);
    this.postgres = new FakePostgres(this);
    this.haproxy = new FakeHaproxy(postgres);
    this.lifecycle = new ContainerLifecycle(store, postgres, haproxy);
    this.files = new ContainerFiles(store, postgres, haproxy);
  }

  /** The simulated PostgreSQL of this engine's member containers, and the reconciler's Instance.Connector. */
  public FakePostgres postgres() {
    return postgres;
  }

  // ================================================================ switches and inspection (the tests')
  // (unreachable and slow: EngineGate's)

  /**
   * Execs in {@code container} whose command line contains {@code fragment} fail the way a
   * command exiting non-zero does in DockerGateway (an IllegalStateException naming the exit code
   * and the output {@code message}).
   */
  public void failExec(String container, String fragment, String message) {
    files.failExec(container, fragment, message);
  }

  /** Execs succeed again. */
  public void clearExecFailures() {
    files.clearExecFailures();
  }

  /** While on, no event reaches the listeners (the stream lost them); they are kept in {@link #lostEvents}. */
  public synchronized void loseEvents(boolean on) {
    store.loseEvents(on);
  }

  public synchronized List<Event> lostEvents() {
    return store.lostEvents();
  }

  /**
   * A container that dies from now on is still listed as running (with its ports) by the next
   * {@code listings} listings ({@link #containers}, {@link #container}); inspection
   * ({@link #runningSince}) tells the truth. Docker does this for a moment after a die event.
   */
  public synchronized void staleListings(int listings) {
    store.staleListings(listings);
  }

  /**
   * The container's process dies by itself (OOM, a crash, someone's kill -9): exit code 137, its
   * PostgreSQL gone without a shutdown checkpoint, a die event delivered (unless events are lost).
   * Not recorded in {@link #history} (the reconciler did not call it).
   */
  public synchronized void crash(String name) {
    lifecycle.crash(name);
  }

  /**
   * Containers created from now on do not publish {@code containerPort}, whatever their spec says
   * (members created by a pgherd from before that port; none: every port published again).
   */
  public synchronized void createWithoutPublishing(Integer... containerPorts) {
    store.unpublished.clear();
    store.unpublished.addAll(List.of(containerPorts));
  }

  /** The container carries {@code key=value} as its label (as an older pgherd labelled it). Not recorded. */
  public synchronized void relabel(String name, String key, String value) {
    store.byName(name).orElseThrow().labels.put(key, value);
  }

  /**
   * The container cannot run for now (a Swarm member whose node is drained, or with no node for
   * it): it stays created whatever start is called, its status {@code why}; null lets it run again.
   * Not recorded.
   */
  public synchronized void hold(String name, String why) {
    store.byName(name).orElseThrow().heldBecause = why;
  }

  /**
   * Listings show the container as {@code state} with {@code status} whatever it does (a Swarm
   * task whose node is down: "removing", while its process may run on); null shows it as it is.
   * Not recorded.
   */
  public synchronized void listAs(String name, String state, String status) {
    FakeContainer c = store.byName(name).orElseThrow();
    c.listedState = state;
    c.listedStatus = status;
  }

  /** Freezes the container (docker pause): its PostgreSQL answers nothing (SQL times out). */
  public synchronized void pause(String name) {
    lifecycle.pause(name, true);
  }

  public synchronized void unpause(String name) {
    lifecycle.pause(name, false);
  }

  /** Every mutating call so far, in order (see the class comment for the format). */
  public synchronized List<String> history() {
    return store.history();
  }

  /** The calls recorded after the first {@code mark} ones (mark: an earlier {@code history().size()}). */
  public synchronized List<String> historySince(int mark) {
    return store.historySince(mark);
  }

  /** The container's state (created, running, paused, exited) as it really is; empty when absent. */
  public synchronized Optional<String> state(String name) {
    return store.byName(name).map(c -> c.state);
  }

  /** A file copied into the container, as text. */
  public synchronized Optional<String> file(String name, String path) {
    return store.byName(name).flatMap(c -> c.text(path));
  }

  /** A file copied into the container as it was copied: content, mode and owner. */
  public synchronized Optional<FileContent> copied(String name, String path) {
    return store.byName(name).map(c -> c.files.get(path))
        .map(f -> new FileContent(f.content().clone(), f.mode(), f.owner()));
  }

  /** The container's output lines (what the simulated entrypoint and PostgreSQL printed). */
  public synchronized List<String> output(String name) {
    return store.byName(name).map(c -> List.copyOf(c.logs)).orElse(List.of());
  }

  public synchronized Set<String> containerNames() {
    Set<String> out = new TreeSet<>();
    store.containers.values().forEach(c -> out.add(c.name));
    return out;
  }

  public synchronized Set<String> volumeNames() {
    return Set.copyOf(store.volumes.keySet());
  }

  public synchronized Set<String> networkNames() {
    return Set.copyOf(store.networks.keySet());
  }

  /** The load balancer's servers in maintenance (set through its admin socket, cleared by a reload). */
  public synchronized Set<String> maintenance(String name) {
    return store.byName(name).map(c -> Set.copyOf(c.maintenance)).orElse(Set.of());
  }

  // ================================================================ ContainerRuntime

  @Override
  public String host() {
    return HOST;
  }

  @Override
  public void ping() {
    enter("ping");
  }

  @Override
  public List<ContainerInfo> containers(String labelKey, String labelValue) {
    return call("containers", () -> {
      postgres.processes().advance(); // simulated time: one step per label listing (one per observation)
      List<ContainerInfo> out = new ArrayList<>();
      for (FakeContainer c : store.containers.values()) {
        if (labelValue.equals(c.labels.get(labelKey))) {
          out.add(store.listed(c));
        }
      }
      return out;
    });
  }

  @Override
  public Optional<ContainerInfo> container(String name) {
    return call("container", () -> store.byName(name).map(store::listed));
  }

  @Override
  public boolean imageExists(String image) {
    enter("imageExists");
    return true;
  }

  @Override
  public List<String> volumes(String labelKey, String labelValue) {
    return call("volumes", () -> store.volumes(labelKey, labelValue));
  }

  @Override
  public boolean volumeExists(String name) {
    return call("volumeExists", () -> store.volumes.containsKey(name));
  }

  @Override
  public void createVolume(String name, Map<String, String> labels) {
    run("createVolume", () -> store.createVolume(name, labels));
  }

  @Override
  public void removeVolume(String name) {
    run("removeVolume", () -> {
      if (store.removeVolume(name)) {
        postgres.processes().volumeRemoved(name);
      }
    });
  }

  @Override
  public boolean networkExists(String name) {
    return call("networkExists", () -> store.networks.containsKey(name));
  }

  @Override
  public void ensureNetwork(String name, Map<String, String> labels) {
    run("ensureNetwork", () -> store.ensureNetwork(name, labels));
  }

  @Override
  public void removeNetwork(String name) {
    run("removeNetwork", () -> store.removeNetwork(name));
  }

  @Override
  public String create(ContainerSpec spec) {
    return call("create", () -> lifecycle.create(spec));
  }

  @Override
  public void copyFiles(String container, Map<String, FileContent> content) {
    run("copyFiles", () -> files.copyFiles(container, content));
  }

  @Override
  public void copyTar(String container, String remotePath, InputStream tar) {
    enter("copyTar");
    try {
      tar.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    synchronized (this) {
      files.copyTar(container, remotePath);
    }
  }

  @Override
  public Optional<byte[]> readFile(String container, String path) {
    return call("readFile", () -> files.readFile(container, path));
  }

  @Override
  public void start(String container) {
    run("start", () -> lifecycle.start(container));
  }

  @Override
  public void stop(String container, int timeoutSeconds) {
    run("stop", () -> lifecycle.stop(container));
  }

  @Override
  public void restart(String container, int timeoutSeconds) {
    run("restart", () -> lifecycle.restart(container));
  }

  @Override
  public void signal(String container, String signal) {
    run("signal", () -> lifecycle.signal(container, signal));
  }

  @Override
  public void kill(String container) {
    run("kill", () -> lifecycle.kill(container));
  }

  @Override
  public void connectNetwork(String container, String network) {
    run("connectNetwork", () -> store.connectNetwork(container, network));
  }

  @Override
  public void disconnectNetwork(String container, String network) {
    run("disconnectNetwork", () -> store.disconnectNetwork(container, network));
  }

  @Override
  public void remove(String container) {
    run("remove", () -> lifecycle.remove(container));
  }

  @Override
  public String exec(String container, String... command) {
    return call("exec", () -> files.exec(container, command));
  }

  @Override
  public String execWithInput(String container, InputStream stdin, String... command) throws IOException {
    enter("execWithInput");
    stdin.readAllBytes();
    synchronized (this) {
      return files.execWithInput(container, command);
    }
  }

  @Override
  public String logs(String container, int lines) {
    return call("logs", () -> files.logs(container, lines));
  }

  @Override
  public Optional<Instant> runningSince(String container) {
    // inspect: State.Running is true for a paused container too
    return call("runningSince", () -> store.find(container).filter(FakeContainer::up).map(c -> c.startedAt));
  }

  @Override
  public Optional<Networking> networking(String container) {
    return call("networking", () -> store.find(container).map(c -> new Networking(c.id, c.name,
        c.networks.isEmpty() ? "none" : c.networks.iterator().next(), Set.copyOf(c.networks))));
  }

  @Override
  public Optional<String> address(String container, String network) {
    return call("address", () -> store.address(container, network));
  }

  @Override
  public Closeable events(String labelKey, Consumer<Event> listener, Consumer<Throwable> onError) {
    enter("events");
    return store.listen(labelKey, listener);
  }

  // ================================================================ for FakePostgres (lock held)

  /** The running (or paused) container that publishes {@code port} for 5432. */
  synchronized Optional<FakeContainer> byPublishedPort(int port) {
    return store.byPublishedPort(port, POSTGRES_PORT);
  }

  /** The running (or paused) container that publishes {@code port} for {@code containerPort}. */
  synchronized Optional<FakeContainer> byPublishedPort(int port, int containerPort) {
    return store.byPublishedPort(port, containerPort);
  }

  /** The container's process ended by itself (the entrypoint failed, PostgreSQL shut down). */
  synchronized void processExited(FakeContainer c, int code) {
    lifecycle.processExited(c, code);
  }

  /** The container's address on its (first) network, as a server it connects to sees it. */
  synchronized String address(FakeContainer c) {
    return c.networks.isEmpty() ? "?" : store.address(c.id, c.networks.iterator().next()).orElse("?");
  }

  synchronized void recordSql(String entry) {
    store.record("sql " + entry);
  }

  /** A call the operator made to a member's agent ("agent put pgherd-demo-1 [...]", "agent reload ..."). */
  /** A {@link #failExec} switch the load balancer's agent's admin command matches (its socket fails the same way). */
  synchronized java.util.Optional<String> lbAdminFailure(FakeContainer lb, String command) {
    return files.execFailure(lb, command);
  }

  /** The load balancer's agent asks its HAProxy (admin socket): the answer. */
  synchronized String lbAdmin(FakeContainer lb, String command) {
    return haproxy.admin(lb, command);
  }

  /** The load balancer's agent has its HAProxy reload (SIGUSR2 to the container's PID 1). */
  synchronized void lbReloaded(FakeContainer lb) {
    haproxy.reloaded(lb);
  }

  synchronized void recordAgent(String entry) {
    store.record("agent " + entry);
  }
}

package io.pgherd.fake;

import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.runtime.NameTakenException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory Docker engine for tests of the reconcile pass, with the semantics of
 * {@code docker.DockerGateway} ("desired or absent": removing, stopping or killing what is absent
 * or not running is fine; starting, restarting, signalling, copying into or exec'ing in an absent
 * container throws; a taken name on create is a {@link NameTakenException}).
 *
 * <p>It keeps containers (state created/running/paused/exited, labels, networks, files copied in,
 * output lines, a unique fake host port for each published port, assigned at every start like an
 * ephemeral one), volumes and networks, and delivers container events (create, start, kill, die,
 * stop, destroy) to {@link #events} listeners. Member containers run a simulated entrypoint and
 * PostgreSQL ({@link FakePostgres}, from {@link #postgres()}); the load balancer answers the
 * admin-socket commands the reconciler sends ({@code show stat}, {@code set server ... state
 * maint}).
 *
 * <p>{@link #history()} lists every mutating call (engine and SQL) in order, e.g. {@code create
 * pgherd-demo-1}, {@code start pgherd-demo-1}, {@code copy pgherd-demo-1 [member.env,
 * postgresql.conf, pg_hba.conf]}, {@code exec pgherd-demo-lb sh -c ...}, {@code sql pgherd-demo-1
 * create-slot demo_2}; a call that failed ends with {@code [failed: why]}.
 *
 * <p>Failure switches: {@link #unreachable}, {@link #slow}, {@link #failExec}, {@link #crash},
 * {@link #loseEvents}, {@link #staleListings}, {@link #pause}; SQL switches are on
 * {@link FakePostgres}. Simulated time advances at every label listing ({@link #containers}: one
 * per observation of a pass): booting members go on, primaries take writes, replicas stream.
 *
 * <p>Thread-safe: the reconciler calls it from several threads at once. Every call holds this
 * object's lock except while a {@link #slow} delay or a {@link FakePostgres#hang} runs.
 */
public final class FakeEngine implements ContainerRuntime {
  public static final String HOST = "fake://engine";
  static final int POSTGRES_PORT = 5432;

  /** A container as the fake keeps it. */
  static final class Container {
    final String id;
    final String name;
    final String image;
    final Map<String, String> labels;
    final Set<String> networks = new TreeSet<>();
    final List<ContainerSpec.Port> ports;
    /** volume name → mount path */
    final Map<String, String> volumes;
    final Map<String, FileContent> files = new LinkedHashMap<>();
    final List<String> logs = new ArrayList<>();
    final long created;
    String state = "created";
    int exitCode;
    Instant startedAt;
    Map<Integer, Integer> published = Map.of();
    /** Listings that still show it running after it died (Docker's lag after a die event). */
    int staleListings;
    Map<Integer, Integer> stalePorts = Map.of();
    /** Load balancer: servers put in maintenance through the admin socket (e.g. rw/demo-1). */
    final Set<String> maintenance = new TreeSet<>();
    /** Load balancer: the configuration its workers run with (read at the start and at each reload, SIGUSR2). */
    String loadedConfig = "";

    Container(String id, ContainerSpec spec, long created) {
      this.id = id;
      this.name = spec.name();
      this.image = spec.image();
      this.labels = Map.copyOf(spec.labels());
      this.ports = List.copyOf(spec.ports());
      this.volumes = new LinkedHashMap<>(spec.volumes());
      this.created = created;
    }

    boolean running() {
      return "running".equals(state);
    }

    boolean member() {
      return Names.COMPONENT_MEMBER.equals(labels.get(Names.LABEL_COMPONENT));
    }

    Optional<String> text(String path) {
      FileContent f = files.get(path);
      return f == null ? Optional.empty() : Optional.of(new String(f.content(), StandardCharsets.UTF_8));
    }
  }

  private record Listener(String labelKey, Consumer<Event> consumer) {}

  private record ExecFailure(String container, String fragment, String message) {}

  private final Map<String, Container> containers = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> volumes = new TreeMap<>();
  private final Map<String, Map<String, String>> networks = new TreeMap<>();
  private final List<String> history = new ArrayList<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final FakePostgres postgres;
  private int nextId = 1;
  private int nextPort = 40001;
  private Instant lastInstant = Instant.EPOCH;

  // ---- failure switches
  private volatile boolean unreachable;
  private final Map<String, Duration> slow = new ConcurrentHashMap<>();
  private final List<ExecFailure> execFailures = new CopyOnWriteArrayList<>();
  private volatile boolean loseEvents;
  private int staleListingsAfterDeath;
  private final List<Event> lostEvents = new ArrayList<>();

  /** Event and start times: the host's clock, or a test's {@link FakeClock} shared with the reconciler. */
  private final Clock clock;

  public FakeEngine() {
    this(Clock.systemUTC());
  }

  /** An engine whose event and start times follow {@code clock} (a test's {@link FakeClock}). */
  public FakeEngine(Clock clock) {
    this.clock = clock;
    this.postgres = new FakePostgres(this);
  }

  /** The simulated PostgreSQL of this engine's member containers, and the reconciler's Instance.Connector. */
  public FakePostgres postgres() {
    return postgres;
  }

  // ================================================================ switches and inspection (the tests')

  /** Every call throws {@link EngineUnavailableException} while on (nothing is recorded or changed). */
  public void unreachable(boolean on) {
    unreachable = on;
  }

  /**
   * Delays every call of {@code operation} (a method name of {@link ContainerRuntime}: exec,
   * copyFiles, start, containers...) by {@code delay} before it runs, without holding the lock;
   * {@link Duration#ZERO} removes the delay. Keep it to a few milliseconds.
   */
  public void slow(String operation, Duration delay) {
    if (delay.isZero()) {
      slow.remove(operation);
    } else {
      slow.put(operation, delay);
    }
  }

  /**
   * Execs in {@code container} whose command line contains {@code fragment} fail the way a
   * command exiting non-zero does in DockerGateway (an IllegalStateException naming the exit code
   * and the output {@code message}).
   */
  public void failExec(String container, String fragment, String message) {
    execFailures.add(new ExecFailure(container, fragment, message));
  }

  /** Execs succeed again. */
  public void clearExecFailures() {
    execFailures.clear();
  }

  /** While on, no event reaches the listeners (the stream lost them); they are kept in {@link #lostEvents}. */
  public synchronized void loseEvents(boolean on) {
    loseEvents = on;
  }

  public synchronized List<Event> lostEvents() {
    return List.copyOf(lostEvents);
  }

  /**
   * A container that dies from now on is still listed as running (with its ports) by the next
   * {@code listings} listings ({@link #containers}, {@link #container}); inspection
   * ({@link #runningSince}) tells the truth. Docker does this for a moment after a die event.
   */
  public synchronized void staleListings(int listings) {
    staleListingsAfterDeath = listings;
  }

  /**
   * The container's process dies by itself (OOM, a crash, someone's kill -9): exit code 137, its
   * PostgreSQL gone without a shutdown checkpoint, a die event delivered (unless events are lost).
   * Not recorded in {@link #history} (the reconciler did not call it).
   */
  public synchronized void crash(String name) {
    Container c = byName(name).orElseThrow(() -> new IllegalArgumentException("no container " + name));
    if (!c.running() && !"paused".equals(c.state)) {
      throw new IllegalStateException(name + " is not running");
    }
    postgres.stopped(c, false);
    exited(c, 137);
    emit(c, "die");
  }

  /** Freezes the container (docker pause): its PostgreSQL answers nothing (SQL times out). */
  public synchronized void pause(String name) {
    Container c = byName(name).orElseThrow();
    c.state = "paused";
    emit(c, "pause");
  }

  public synchronized void unpause(String name) {
    Container c = byName(name).orElseThrow();
    c.state = "running";
    emit(c, "unpause");
  }

  /** Every mutating call so far, in order (see the class comment for the format). */
  public synchronized List<String> history() {
    return List.copyOf(history);
  }

  /** The calls recorded after the first {@code mark} ones (mark: an earlier {@code history().size()}). */
  public synchronized List<String> historySince(int mark) {
    return List.copyOf(history.subList(mark, history.size()));
  }

  /** The container's state (created, running, paused, exited) as it really is; empty when absent. */
  public synchronized Optional<String> state(String name) {
    return byName(name).map(c -> c.state);
  }

  /** A file copied into the container, as text. */
  public synchronized Optional<String> file(String name, String path) {
    return byName(name).flatMap(c -> c.text(path));
  }

  /** The container's output lines (what the simulated entrypoint and PostgreSQL printed). */
  public synchronized List<String> output(String name) {
    return byName(name).map(c -> List.copyOf(c.logs)).orElse(List.of());
  }

  public synchronized Set<String> containerNames() {
    Set<String> out = new TreeSet<>();
    containers.values().forEach(c -> out.add(c.name));
    return out;
  }

  public synchronized Set<String> volumeNames() {
    return Set.copyOf(volumes.keySet());
  }

  public synchronized Set<String> networkNames() {
    return Set.copyOf(networks.keySet());
  }

  /** The load balancer's servers in maintenance (set through its admin socket, cleared by a reload). */
  public synchronized Set<String> maintenance(String name) {
    return byName(name).map(c -> Set.copyOf(c.maintenance)).orElse(Set.of());
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
    enter("containers");
    synchronized (this) {
      postgres.advance(); // simulated time: one step per label listing (one per observation)
      List<ContainerInfo> out = new ArrayList<>();
      for (Container c : containers.values()) {
        if (labelValue.equals(c.labels.get(labelKey))) {
          out.add(listed(c));
        }
      }
      return out;
    }
  }

  @Override
  public Optional<ContainerInfo> container(String name) {
    enter("container");
    synchronized (this) {
      return byName(name).map(this::listed);
    }
  }

  @Override
  public boolean imageExists(String image) {
    enter("imageExists");
    return true;
  }

  @Override
  public List<String> volumes(String labelKey, String labelValue) {
    enter("volumes");
    synchronized (this) {
      return volumes.entrySet().stream().filter(v -> labelValue.equals(v.getValue().get(labelKey)))
          .map(Map.Entry::getKey).toList();
    }
  }

  @Override
  public boolean volumeExists(String name) {
    enter("volumeExists");
    synchronized (this) {
      return volumes.containsKey(name);
    }
  }

  @Override
  public void createVolume(String name, Map<String, String> labels) {
    enter("createVolume");
    synchronized (this) {
      record("create-volume " + name);
      volumes.putIfAbsent(name, Map.copyOf(labels)); // Docker returns an existing volume of that name
    }
  }

  @Override
  public void removeVolume(String name) {
    enter("removeVolume");
    synchronized (this) {
      if (!volumes.containsKey(name)) {
        record("remove-volume " + name);
        return; // absent: fine
      }
      Optional<Container> user = containers.values().stream().filter(c -> c.volumes.containsKey(name)).findFirst();
      if (user.isPresent()) {
        String why = "remove " + name + ": volume is in use by " + user.get().name;
        record("remove-volume " + name + " [failed: in use]");
        throw new IllegalStateException(why);
      }
      record("remove-volume " + name);
      volumes.remove(name);
      postgres.volumeRemoved(name);
    }
  }

  @Override
  public boolean networkExists(String name) {
    enter("networkExists");
    synchronized (this) {
      return networks.containsKey(name);
    }
  }

  @Override
  public void ensureNetwork(String name, Map<String, String> labels) {
    enter("ensureNetwork");
    synchronized (this) {
      record("ensure-network " + name);
      networks.putIfAbsent(name, Map.copyOf(labels));
    }
  }

  @Override
  public void removeNetwork(String name) {
    enter("removeNetwork");
    synchronized (this) {
      record("remove-network " + name);
      if (containers.values().stream().anyMatch(c -> c.networks.contains(name))) {
        throw new IllegalStateException("error while removing network: network " + name + " has active endpoints");
      }
      networks.remove(name);
    }
  }

  @Override
  public String create(ContainerSpec spec) {
    enter("create");
    synchronized (this) {
      if (byName(spec.name()).isPresent()) {
        record("create " + spec.name() + " [failed: name taken]");
        throw new NameTakenException("a container named " + spec.name() + " exists already (fake engine)", null);
      }
      if (spec.network() != null && !networks.containsKey(spec.network())) {
        record("create " + spec.name() + " [failed: no network]");
        throw new IllegalStateException("network " + spec.network() + " not found");
      }
      record("create " + spec.name());
      String id = String.format("%064x", nextId++);
      Container c = new Container(id, spec, now().getEpochSecond());
      if (spec.network() != null) {
        c.networks.add(spec.network());
      }
      spec.volumes().keySet().forEach(v -> volumes.putIfAbsent(v, Map.of())); // Docker creates a missing named volume
      c.files.putAll(spec.files());
      containers.put(id, c);
      emit(c, "create");
      return id;
    }
  }

  @Override
  public void copyFiles(String container, Map<String, FileContent> files) {
    enter("copyFiles");
    synchronized (this) {
      Container c = existing(container, "copy " + container + " " + baseNames(files.keySet()));
      record("copy " + c.name + " " + baseNames(files.keySet()));
      c.files.putAll(files);
    }
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
      Container c = existing(container, "copy-tar " + container + " " + remotePath);
      record("copy-tar " + c.name + " " + remotePath);
    }
  }

  @Override
  public Optional<byte[]> readFile(String container, String path) {
    enter("readFile");
    synchronized (this) {
      Optional<Container> c = find(container);
      if (c.isEmpty()) {
        return Optional.empty();
      }
      Optional<byte[]> simulated = postgres.readFile(c.get(), path);
      if (simulated.isPresent()) {
        return simulated;
      }
      FileContent f = c.get().files.get(path);
      return f == null ? Optional.empty() : Optional.of(f.content().clone());
    }
  }

  @Override
  public void start(String container) {
    enter("start");
    synchronized (this) {
      Container c = existing(container, "start " + container);
      if ("paused".equals(c.state)) {
        record("start " + c.name + " [failed: paused]");
        throw new IllegalStateException("cannot start a paused container " + c.name + ", try unpause instead");
      }
      if (!c.running()) { // (304 when it runs already)
        Optional<String> taken = portTaken(c);
        if (taken.isPresent()) {
          record("start " + c.name + " [failed: port is already allocated]");
          throw new IllegalStateException("driver failed programming external connectivity on endpoint " + c.name
              + ": Bind for " + taken.get() + " failed: port is already allocated");
        }
      }
      record("start " + c.name);
      if (!c.running()) {
        boot(c);
      }
    }
  }

  /** A fixed host port of {@code c} that another running container publishes already (ip:port). */
  private Optional<String> portTaken(Container c) {
    for (ContainerSpec.Port p : c.ports) {
      if (p.hostPort() == 0) {
        continue;
      }
      for (Container other : containers.values()) {
        boolean up = other.running() || "paused".equals(other.state);
        if (other != c && up && other.published.containsValue(p.hostPort()) && other.ports.stream()
            .anyMatch(o -> o.hostPort() == p.hostPort() && o.hostIp().equals(p.hostIp()))) {
          return Optional.of(p.hostIp() + ":" + p.hostPort());
        }
      }
    }
    return Optional.empty();
  }

  /** The container's process starts: new ephemeral ports, a start event, then its entrypoint. */
  private void boot(Container c) {
    c.state = "running";
    c.exitCode = 0;
    c.startedAt = now();
    c.staleListings = 0;
    Map<Integer, Integer> published = new TreeMap<>();
    for (ContainerSpec.Port p : c.ports) {
      published.put(p.containerPort(), p.hostPort() == 0 ? nextPort++ : p.hostPort());
    }
    c.published = Map.copyOf(published);
    emit(c, "start");
    if (c.member()) {
      postgres.started(c);
    } else {
      c.loadedConfig = c.text(HaproxyConf.PATH).orElse("");
      c.logs.add("[NOTICE] haproxy: loading " + HaproxyConf.PATH);
    }
  }

  @Override
  public void stop(String container, int timeoutSeconds) {
    enter("stop");
    synchronized (this) {
      Optional<Container> c = find(container);
      record("stop " + c.map(x -> x.name).orElse(container));
      if (c.isEmpty() || !(c.get().running() || "paused".equals(c.get().state))) {
        return; // absent, or stopped already
      }
      emit(c.get(), "kill");
      boolean clean = postgres.shutsDownWhenStopped(c.get()); // else killed after the timeout
      postgres.stopped(c.get(), clean);
      exited(c.get(), clean ? 0 : 137);
      emit(c.get(), "die");
      emit(c.get(), "stop");
    }
  }

  @Override
  public void restart(String container, int timeoutSeconds) {
    enter("restart");
    synchronized (this) {
      Container c = existing(container, "restart " + container);
      record("restart " + c.name);
      if (c.running() || "paused".equals(c.state)) {
        emit(c, "kill");
        boolean clean = postgres.shutsDownWhenStopped(c); // else killed after the timeout
        postgres.stopped(c, clean);
        exited(c, clean ? 0 : 137);
        emit(c, "die");
      }
      boot(c);
      emit(c, "restart");
    }
  }

  @Override
  public void signal(String container, String signal) {
    enter("signal");
    synchronized (this) {
      Container c = existing(container, "signal " + container + " " + signal);
      if (!c.running()) {
        record("signal " + c.name + " " + signal + " [failed: not running]");
        throw new IllegalStateException("Cannot kill container " + c.name + ": container is not running");
      }
      record("signal " + c.name + " " + signal);
      emit(c, "kill");
      if ("SIGKILL".equals(signal)) {
        postgres.stopped(c, false);
        exited(c, 137);
        emit(c, "die");
      } else if (c.member()) {
        postgres.signalled(c, signal);
      } else if ("SIGUSR2".equals(signal)) {
        c.maintenance.clear(); // a reload starts a new worker with the servers as configured
        c.loadedConfig = c.text(HaproxyConf.PATH).orElse("");
        c.logs.add("[NOTICE] haproxy: reloading " + HaproxyConf.PATH);
      }
    }
  }

  @Override
  public void kill(String container) {
    enter("kill");
    synchronized (this) {
      Optional<Container> c = find(container);
      record("kill " + c.map(x -> x.name).orElse(container));
      if (c.isEmpty() || !(c.get().running() || "paused".equals(c.get().state))) {
        return; // absent or not running: counts as killed
      }
      emit(c.get(), "kill");
      postgres.stopped(c.get(), false);
      exited(c.get(), 137);
      emit(c.get(), "die");
    }
  }

  @Override
  public void connectNetwork(String container, String network) {
    enter("connectNetwork");
    synchronized (this) {
      Container c = existing(container, "connect " + container + " " + network);
      if (!networks.containsKey(network)) {
        record("connect " + c.name + " " + network + " [failed: no network]");
        throw new IllegalStateException("network " + network + " not found");
      }
      if (c.networks.contains(network)) {
        record("connect " + c.name + " " + network + " [failed: already attached]");
        throw new IllegalStateException("endpoint with name " + c.name + " already exists in network " + network);
      }
      record("connect " + c.name + " " + network);
      c.networks.add(network);
    }
  }

  @Override
  public void disconnectNetwork(String container, String network) {
    enter("disconnectNetwork");
    synchronized (this) {
      Optional<Container> c = find(container);
      record("disconnect " + c.map(x -> x.name).orElse(container) + " " + network);
      c.ifPresent(x -> x.networks.remove(network));
    }
  }

  @Override
  public void remove(String container) {
    enter("remove");
    synchronized (this) {
      Optional<Container> c = find(container);
      record("remove " + c.map(x -> x.name).orElse(container));
      if (c.isEmpty()) {
        return;
      }
      if (c.get().running() || "paused".equals(c.get().state)) {
        postgres.stopped(c.get(), false);
        exited(c.get(), 137);
        emit(c.get(), "die");
      }
      containers.remove(c.get().id);
      emit(c.get(), "destroy");
    }
  }

  @Override
  public String exec(String container, String... command) {
    enter("exec");
    synchronized (this) {
      String line = String.join(" ", command);
      Container c = existing(container, "exec " + container + " " + line);
      if (!c.running()) {
        record("exec " + c.name + " " + line + " [failed: not running]");
        throw new IllegalStateException("Container " + c.name + " is not running");
      }
      for (ExecFailure f : execFailures) {
        if (f.container().equals(c.name) && line.contains(f.fragment())) {
          record("exec " + c.name + " " + line + " [failed: " + f.message() + "]");
          throw new IllegalStateException(line + " in " + c.id + " exited 1: " + f.message());
        }
      }
      record("exec " + c.name + " " + line);
      return c.member() ? "" : haproxy(c, line);
    }
  }

  @Override
  public String execWithInput(String container, InputStream stdin, String... command) throws IOException {
    enter("execWithInput");
    stdin.readAllBytes();
    synchronized (this) {
      String line = String.join(" ", command);
      Container c = existing(container, "exec " + container + " " + line);
      record("exec " + c.name + " " + line + " <input");
      return "";
    }
  }

  @Override
  public String logs(String container, int lines) {
    enter("logs");
    synchronized (this) {
      Optional<Container> c = find(container);
      if (c.isEmpty()) {
        return "";
      }
      List<String> all = c.get().logs;
      StringBuilder out = new StringBuilder();
      all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
      return out.toString();
    }
  }

  @Override
  public Optional<Instant> runningSince(String container) {
    enter("runningSince");
    synchronized (this) {
      // inspect: State.Running is true for a paused container too
      return find(container).filter(c -> c.running() || "paused".equals(c.state)).map(c -> c.startedAt);
    }
  }

  @Override
  public Optional<Networking> networking(String container) {
    enter("networking");
    synchronized (this) {
      return find(container).map(c -> new Networking(c.id, c.name,
          c.networks.isEmpty() ? "none" : c.networks.iterator().next(), Set.copyOf(c.networks)));
    }
  }

  @Override
  public Optional<String> address(String container, String network) {
    enter("address");
    synchronized (this) {
      return find(container).filter(c -> c.networks.contains(network))
          .map(c -> "172.30.0." + (2 + new ArrayList<>(containers.keySet()).indexOf(c.id)));
    }
  }

  @Override
  public Closeable events(String labelKey, Consumer<Event> listener, Consumer<Throwable> onError) {
    enter("events");
    Listener l = new Listener(labelKey, listener);
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  // ================================================================ for FakePostgres

  synchronized Optional<Container> byName(String name) {
    return containers.values().stream().filter(c -> c.name.equals(name)).findFirst();
  }

  /** The running (or paused) container that publishes {@code port} for 5432. */
  synchronized Optional<Container> byPublishedPort(int port) {
    return containers.values().stream()
        .filter(c -> (c.running() || "paused".equals(c.state)) && Integer.valueOf(port).equals(c.published.get(POSTGRES_PORT)))
        .findFirst();
  }

  synchronized List<Container> all() {
    return List.copyOf(containers.values());
  }

  /** The container's process ended by itself (the entrypoint failed, PostgreSQL shut down). */
  synchronized void processExited(Container c, int code) {
    if (c.running() || "paused".equals(c.state)) {
      exited(c, code);
      emit(c, "die");
    }
  }

  synchronized void recordSql(String entry) {
    record("sql " + entry);
  }

  // ================================================================ internals

  /** Every call: the engine must be reachable; then the call's configured delay, outside the lock. */
  private void enter(String operation) {
    if (unreachable) {
      throw new EngineUnavailableException("Docker engine at " + HOST + " is unreachable: the test switched it off",
          null);
    }
    Duration d = slow.get(operation);
    if (d != null) {
      try {
        Thread.sleep(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private void record(String entry) {
    history.add(entry);
  }

  private ContainerInfo listed(Container c) {
    boolean stale = !c.running() && !"paused".equals(c.state) && c.staleListings > 0;
    if (stale) {
      c.staleListings--;
    }
    String state = stale ? "running" : c.state;
    Map<Integer, Integer> ports = stale ? c.stalePorts : c.running() || "paused".equals(c.state) ? c.published : Map.of();
    String status = switch (state) {
      case "running" -> "Up";
      case "paused" -> "Up (Paused)";
      case "created" -> "Created";
      default -> "Exited (" + c.exitCode + ")";
    };
    return new ContainerInfo(c.id, c.name, c.image, state, status, c.labels, ports, c.created, Set.copyOf(c.networks));
  }

  private void exited(Container c, int code) {
    c.state = "exited";
    c.exitCode = code;
    c.stalePorts = c.published;
    c.published = Map.of();
    c.staleListings = staleListingsAfterDeath;
  }

  private void emit(Container c, String action) {
    Map<String, String> attributes = new LinkedHashMap<>(c.labels);
    attributes.put("name", c.name);
    if ("die".equals(action)) {
      attributes.put("exitCode", Integer.toString(c.exitCode));
    }
    Event e = new Event(c.id, action, Map.copyOf(attributes), now());
    if (loseEvents) {
      lostEvents.add(e);
      return;
    }
    for (Listener l : listeners) {
      if (c.labels.containsKey(l.labelKey())) {
        l.consumer().accept(e);
      }
    }
  }

  /** By id or name, as the engine resolves a container reference. */
  private Optional<Container> find(String ref) {
    Container c = containers.get(ref);
    return c != null ? Optional.of(c) : byName(ref);
  }

  private Container existing(String ref, String call) {
    return find(ref).orElseThrow(() -> {
      record(call + " [failed: no such container]");
      return new IllegalStateException("No such container: " + ref);
    });
  }

  /** By the clock, strictly increasing, so that a start after a die event is never "at the same instant". */
  synchronized Instant now() {
    Instant n = clock.instant();
    if (!n.isAfter(lastInstant)) {
      n = lastInstant.plusNanos(1000);
    }
    lastInstant = n;
    return n;
  }

  private static String baseNames(Set<String> paths) {
    List<String> names = new ArrayList<>();
    paths.forEach(p -> names.add(p.substring(p.lastIndexOf('/') + 1)));
    return names.toString();
  }

  // ---------------------------------------------------------------- the load balancer's admin socket

  private static final Pattern SET_STATE = Pattern.compile("set server (\\w+/[a-z0-9-]+) state (maint|ready|drain)");
  private static final String STAT_HEADER = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,"
      + "econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"
      + "lbtot,tracked,type,rate,rate_lim,rate_max,check_status,";
  private static final int STAT_FIELDS = STAT_HEADER.substring(2).split(",", -1).length;

  private String haproxy(Container lb, String command) {
    if (command.contains("show stat")) {
      return showStat(lb);
    }
    Matcher m = SET_STATE.matcher(command);
    while (m.find()) {
      if ("maint".equals(m.group(2))) {
        lb.maintenance.add(m.group(1));
      } else {
        lb.maintenance.remove(m.group(1));
      }
    }
    return "";
  }

  /** {@code show stat} as HAProxy prints it, for the servers of the configuration it loaded (not the file copied in since). */
  private String showStat(Container lb) {
    StringBuilder out = new StringBuilder(STAT_HEADER).append('\n');
    String proxy = null;
    List<String[]> servers = new ArrayList<>();
    for (String line : lb.loadedConfig.split("\n")) {
      String t = line.strip();
      if (t.startsWith("listen ")) {
        flushProxy(out, proxy, servers);
        proxy = t.substring("listen ".length()).strip();
        servers.clear();
      } else if (proxy != null && t.startsWith("server ")) {
        String[] f = t.split("\\s+");
        String host = f[2].substring(0, f[2].indexOf(':'));
        boolean checked = t.contains(" check");
        String status;
        if (lb.maintenance.contains(proxy + "/" + f[1])) {
          status = "MAINT";
        } else if (!checked) {
          status = "no check";
        } else {
          boolean accepting = postgres.accepting(host);
          status = accepting && (!"rw".equals(proxy) || postgres.writable(host)) ? "UP" : "DOWN";
        }
        servers.add(new String[] {f[1], status});
      }
    }
    flushProxy(out, proxy, servers);
    return out.toString();
  }

  private static void flushProxy(StringBuilder out, String proxy, List<String[]> servers) {
    if (proxy == null) {
      return;
    }
    statRow(out, proxy, "FRONTEND", "OPEN");
    boolean anyUp = false;
    for (String[] s : servers) {
      statRow(out, proxy, s[0], s[1]);
      anyUp |= s[1].equals("UP") || s[1].equals("no check");
    }
    statRow(out, proxy, "BACKEND", anyUp ? "UP" : "DOWN");
  }

  private static void statRow(StringBuilder out, String proxy, String server, String status) {
    String[] f = new String[STAT_FIELDS];
    java.util.Arrays.fill(f, "");
    f[0] = proxy;
    f[1] = server;
    f[17] = status;
    out.append(String.join(",", f)).append('\n');
  }
}

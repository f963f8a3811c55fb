package io.pgherd.fake;

import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.NameTakenException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The containers' lives in the {@link FakeEngine}, as {@code docker.DockerGateway} sees them:
 * create, start (new ephemeral ports; a fixed host port already published is refused), stop,
 * restart, signal, kill, remove, and what happens by itself (a crash, a pause, a process that
 * exits). Member containers run {@link FakePostgres}; the load balancer {@link FakeHaproxy}.
 * Called with the engine's lock held.
 */
final class ContainerLifecycle {
  private final ContainerStore store;
  private final FakePostgres postgres;
  private final FakeHaproxy haproxy;

  ContainerLifecycle(ContainerStore store, FakePostgres postgres, FakeHaproxy haproxy) {
    this.store = store;
    this.postgres = postgres;
    this.haproxy = haproxy;
  }

  String create(ContainerSpec spec) {
    if (store.byName(spec.name()).isPresent()) {
      store.record("create " + spec.name() + " [failed: name taken]");
      throw new NameTakenException("a container named " + spec.name() + " exists already (fake engine)", null);
    }
    if (spec.network() != null && !store.networks.containsKey(spec.network())) {
      store.record("create " + spec.name() + " [failed: no network]");
      throw new IllegalStateException("network " + spec.network() + " not found");
    }
    store.record("create " + spec.name());
    if (!store.unpublished.isEmpty()) { // a container made as an older pgherd made it
      spec = new ContainerSpec(spec.name(), spec.image(), spec.network(), spec.labels(), spec.volumes(),
          spec.ports().stream().filter(p -> !store.unpublished.contains(p.containerPort())).toList(), spec.files(),
          spec.placement());
    }
    FakeContainer c = new FakeContainer(store.newId(), spec, store.now().getEpochSecond());
    if (spec.network() != null) {
      c.networks.add(spec.network());
    }
    spec.volumes().keySet().forEach(v -> store.volumes.putIfAbsent(v, Map.of())); // Docker creates a missing named volume
    c.files.putAll(spec.files());
    store.containers.put(c.id, c);
    store.emit(c, "create");
    return c.id;
  }

  void start(String container) {
    FakeContainer c = store.existing(container, "start " + container);
    if ("paused".equals(c.state)) {
      store.record("start " + c.name + " [failed: paused]");
      throw new IllegalStateException("cannot start a paused container " + c.name + ", try unpause instead");
    }
    if (!c.running()) { // (304 when it runs already)
      Optional<String> taken = portTaken(c);
      if (taken.isPresent()) {
        store.record("start " + c.name + " [failed: port is already allocated]");
        throw new IllegalStateException("driver failed programming external connectivity on endpoint " + c.name
            + ": Bind for " + taken.get() + " failed: port is already allocated");
      }
    }
    if (c.heldBecause != null && !c.running()) {
      store.record("start " + c.name + " [held: " + c.heldBecause + "]");
      c.state = "created";
      return; // as a Swarm service with no node for its task: nothing runs, and no error
    }
    store.record("start " + c.name);
    if (!c.running()) {
      boot(c);
    }
  }

  /** A fixed host port of {@code c} that another running container publishes already (ip:port). */
  private Optional<String> portTaken(FakeContainer c) {
    for (ContainerSpec.Port p : c.ports) {
      if (p.hostPort() == 0) {
        continue;
      }
      for (FakeContainer other : store.containers.values()) {
        if (other != c && other.up() && other.published.containsValue(p.hostPort()) && other.ports.stream()
            .anyMatch(o -> o.hostPort() == p.hostPort() && o.hostIp().equals(p.hostIp()))) {
          return Optional.of(p.hostIp() + ":" + p.hostPort());
        }
      }
    }
    return Optional.empty();
  }

  /** The container's process starts: new ephemeral ports, a start event, then its entrypoint. */
  private void boot(FakeContainer c) {
    c.state = "running";
    c.exitCode = 0;
    c.startedAt = store.now();
    c.staleListings = 0;
    Map<Integer, Integer> published = new TreeMap<>();
    for (ContainerSpec.Port p : c.ports) {
      published.put(p.containerPort(), p.hostPort() == 0 ? store.nextPort() : p.hostPort());
    }
    c.published = Map.copyOf(published);
    store.emit(c, "start");
    if (c.member()) {
      postgres.processes().started(c);
    } else {
      haproxy.started(c);
    }
  }

  void stop(String container) {
    Optional<FakeContainer> c = store.find(container);
    store.record("stop " + c.map(x -> x.name).orElse(container));
    if (c.isEmpty() || !c.get().up()) {
      return; // absent, or stopped already
    }
    store.emit(c.get(), "kill");
    boolean clean = postgres.processes().shutsDownWhenStopped(c.get()); // else killed after the timeout
    postgres.processes().stopped(c.get(), clean);
    store.exited(c.get(), clean ? 0 : 137);
    store.emit(c.get(), "die");
    store.emit(c.get(), "stop");
  }

  void restart(String container) {
    FakeContainer c = store.existing(container, "restart " + container);
    store.record("restart " + c.name);
    if (c.up()) {
      store.emit(c, "kill");
      boolean clean = postgres.processes().shutsDownWhenStopped(c); // else killed after the timeout
      postgres.processes().stopped(c, clean);
      store.exited(c, clean ? 0 : 137);
      store.emit(c, "die");
    }
    boot(c);
    store.emit(c, "restart");
  }

  void signal(String container, String signal) {
    FakeContainer c = store.existing(container, "signal " + container + " " + signal);
    if (!c.running()) {
      store.record("signal " + c.name + " " + signal + " [failed: not running]");
      throw new IllegalStateException("Cannot kill container " + c.name + ": container is not running");
    }
    store.record("signal " + c.name + " " + signal);
    store.emit(c, "kill");
    if ("SIGKILL".equals(signal)) {
      postgres.processes().stopped(c, false);
      store.exited(c, 137);
      store.emit(c, "die");
    } else if (c.member()) {
      postgres.processes().signalled(c, signal);
    } else if ("SIGUSR2".equals(signal)) {
      haproxy.reloaded(c);
    }
  }

  void kill(String container) {
    Optional<FakeContainer> c = store.find(container);
    store.record("kill " + c.map(x -> x.name).orElse(container));
    if (c.isEmpty() || !c.get().up()) {
      return; // absent or not running: counts as killed
    }
    store.emit(c.get(), "kill");
    postgres.processes().stopped(c.get(), false);
    store.exited(c.get(), 137);
    store.emit(c.get(), "die");
  }

  void remove(String container) {
    Optional<FakeContainer> c = store.find(container);
    store.record("remove " + c.map(x -> x.name).orElse(container));
    if (c.isEmpty()) {
      return;
    }
    if (c.get().up()) {
      postgres.processes().stopped(c.get(), false);
      store.exited(c.get(), 137);
      store.emit(c.get(), "die");
    }
    store.containers.remove(c.get().id);
    store.emit(c.get(), "destroy");
  }

  /** The process dies by itself: exit 137, no shutdown checkpoint, a die event; not a call, so not in the history. */
  void crash(String name) {
    FakeContainer c = store.byName(name).orElseThrow(() -> new IllegalArgumentException("no container " + name));
    if (!c.up()) {
      throw new IllegalStateException(name + " is not running");
    }
    postgres.processes().stopped(c, false);
    store.exited(c, 137);
    store.emit(c, "die");
  }

  void pause(String name, boolean paused) {
    FakeContainer c = store.byName(name).orElseThrow();
    c.state = paused ? "paused" : "running";
    store.emit(c, paused ? "pause" : "unpause");
  }

  /** The container's process ended by itself (the entrypoint failed, PostgreSQL shut down). */
  void processExited(FakeContainer c, int code) {
    if (c.up()) {
      store.exited(c, code);
      store.emit(c, "die");
    }
  }
}

package io.pgherd.fake;

import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime.Event;
import java.io.Closeable;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the {@link FakeEngine} holds: containers, volumes and networks, the history of mutating
 * calls, the container events and their listeners, and the engine's time. Everything but the
 * listener list is used under the engine's lock.
 */
final class ContainerStore {
  private record Listener(String labelKey, Consumer<Event> consumer) {}

  final Map<String, FakeContainer> containers = new LinkedHashMap<>();
  /** volume name → labels */
  final Map<String, Map<String, String>> volumes = new TreeMap<>();
  /** network name → labels */
  final Map<String, Map<String, String>> networks = new TreeMap<>();
  private final List<String> history = new ArrayList<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final List<Event> lostEvents = new ArrayList<>();
  /** Event and start times: the host's clock, or a test's {@link FakeClock} shared with the reconciler. */
  private final Clock clock;
  private volatile boolean loseEvents;
  private int staleListingsAfterDeath;
  private int nextId = 1;
  private int nextPort = 40001;
  /** Container ports that containers created from now on do not publish ({@link FakeEngine#createWithoutPublishing}). */
  final java.util.Set<Integer> unpublished = new java.util.TreeSet<>();
  private Instant lastInstant = Instant.EPOCH;

  ContainerStore(Clock clock) {
    this.clock = clock;
  }

  // ---------------------------------------------------------------- history

  void record(String entry) {
    history.add(entry);
  }

  List<String> history() {
    return List.copyOf(history);
  }

  List<String> historySince(int mark) {
    return List.copyOf(history.subList(mark, history.size()));
  }

  // ---------------------------------------------------------------- containers

  String newId() {
    return String.format("%064x", nextId++);
  }

  /** A fresh ephemeral host port (hostPort 0 in a spec). */
  int nextPort() {
    return nextPort++;
  }

  Optional<FakeContainer> byName(String name) {
    return containers.values().stream().filter(c -> c.name.equals(name)).findFirst();
  }

  /** By id or name, as the engine resolves a container reference. */
  Optional<FakeContainer> find(String ref) {
    FakeContainer c = containers.get(ref);
    return c != null ? Optional.of(c) : byName(ref);
  }

  /** The container {@code ref}; else the call is recorded as failed and throws as Docker's 404 does. */
  FakeContainer existing(String ref, String call) {
    return find(ref).orElseThrow(() -> {
      record(call + " [failed: no such container]");
      return new IllegalStateException("No such container: " + ref);
    });
  }

  /** The running (or paused) container that publishes {@code port} for {@code containerPort}. */
  Optional<FakeContainer> byPublishedPort(int port, int containerPort) {
    return containers.values().stream()
        .filter(c -> c.up() && Integer.valueOf(port).equals(c.published.get(containerPort)))
        .findFirst();
  }

  /** The container as a listing shows it (running for a few listings after its death: see {@link #staleListings}). */
  ContainerInfo listed(FakeContainer c) {
    boolean stale = !c.up() && c.staleListings > 0;
    if (stale) {
      c.staleListings--;
    }
    String state = c.listedState != null ? c.listedState : stale ? "running" : c.state;
    Map<Integer, Integer> ports = stale ? c.stalePorts : c.up() ? c.published : Map.of();
    String status = c.listedStatus != null ? c.listedStatus : switch (state) {
      case "running" -> "Up";
      case "paused" -> "Up (Paused)";
      case "created" -> c.heldBecause != null ? c.heldBecause : "Created";
      default -> "Exited (" + c.exitCode + ")";
    };
    return new ContainerInfo(c.id, c.name, c.image, state, status, c.labels, ports, c.created, Set.copyOf(c.networks));
  }

  /** The container's process has ended with {@code code}. */
  void exited(FakeContainer c, int code) {
    c.state = "exited";
    c.exitCode = code;
    c.stalePorts = c.published;
    c.published = Map.of();
    c.staleListings = staleListingsAfterDeath;
  }

  void staleListings(int listings) {
    staleListingsAfterDeath = listings;
  }

  // ---------------------------------------------------------------- events

  void emit(FakeContainer c, String action) {
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

  /** Events of containers labelled {@code labelKey} go to {@code consumer} until the result is closed. */
  Closeable listen(String labelKey, Consumer<Event> consumer) {
    Listener l = new Listener(labelKey, consumer);
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  void loseEvents(boolean on) {
    loseEvents = on;
  }

  List<Event> lostEvents() {
    return List.copyOf(lostEvents);
  }

  /** By the clock, strictly increasing, so that a start after a die event is never "at the same instant". */
  Instant now() {
    Instant n = clock.instant();
    if (!n.isAfter(lastInstant)) {
      n = lastInstant.plusNanos(1000);
    }
    lastInstant = n;
    return n;
  }

  // ---------------------------------------------------------------- volumes and networks

  void createVolume(String name, Map<String, String> labels) {
    record("create-volume " + name);
    volumes.putIfAbsent(name, Map.copyOf(labels)); // Docker returns an existing volume of that name
  }

  /** Removes the volume unless a container uses it; true when it was there and is gone. */
  boolean removeVolume(String name) {
    if (!volumes.containsKey(name)) {
      record("remove-volume " + name);
      return false; // absent: fine
    }
    Optional<FakeContainer> user = containers.values().stream().filter(c -> c.volumes.containsKey(name)).findFirst();
    if (user.isPresent()) {
      record("remove-volume " + name + " [failed: in use]");
      throw new IllegalStateException("remove " + name + ": volume is in use by " + user.get().name);
    }
    record("remove-volume " + name);
    volumes.remove(name);
    return true;
  }

  List<String> volumes(String labelKey, String labelValue) {
    return volumes.entrySet().stream().filter(v -> labelValue.equals(v.getValue().get(labelKey)))
        .map(Map.Entry::getKey).toList();
  }

  void ensureNetwork(String name, Map<String, String> labels) {
    record("ensure-network " + name);
    networks.putIfAbsent(name, Map.copyOf(labels));
  }

  void removeNetwork(String name) {
    record("remove-network " + name);
    if (containers.values().stream().anyMatch(c -> c.networks.contains(name))) {
      throw new IllegalStateException("error while removing network: network " + name + " has active endpoints");
    }
    networks.remove(name);
  }

  void connectNetwork(String container, String network) {
    FakeContainer c = existing(container, "connect " + container + " " + network);
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

  void disconnectNetwork(String container, String network) {
    Optional<FakeContainer> c = find(container);
    record("disconnect " + c.map(x -> x.name).orElse(container) + " " + network);
    c.ifPresent(x -> x.networks.remove(network));
  }

  /** The networks' gateway: where connections to a published port come from (the host's docker-proxy). */
  static final String GATEWAY = "172.30.0.1";

  /** The container's address on {@code network}: one per container, in creation order. */
  Optional<String> address(String container, String network) {
    return find(container).filter(c -> c.networks.contains(network))
        .map(c -> "172.30.0." + (2 + new ArrayList<>(containers.keySet()).indexOf(c.id)));
  }
}

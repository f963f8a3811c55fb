package io.pgherd.fake;

import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** A container as the {@link FakeEngine} keeps it; read and changed under the engine's lock only. */
final class FakeContainer {
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
  /** How listings show it instead of its state, while set (a Swarm task on a node that is down: "removing"). */
  String listedState;
  String listedStatus;
  int exitCode;
  Instant startedAt;
  Map<Integer, Integer> published = Map.of();
  /** Listings that still show it running after it died (Docker's lag after a die event). */
  int staleListings;
  Map<Integer, Integer> stalePorts = Map.of();
  /** Why it cannot run (a Swarm member with no node for it): start leaves it created, its status this. */
  String heldBecause;
  /** Load balancer: servers put in maintenance through the admin socket (e.g. rw/demo-1). */
  final Set<String> maintenance = new TreeSet<>();
  /** Load balancer: the configuration its workers run with (read at the start and at each reload, SIGUSR2). */
  String loadedConfig = "";

  FakeContainer(String id, ContainerSpec spec, long created) {
    this.id = id;
    this.name = spec.name();
    this.image = spec.image();
    this.labels = new java.util.LinkedHashMap<>(spec.labels()); // (a test may relabel it: FakeEngine#relabel)
    this.ports = List.copyOf(spec.ports());
    this.volumes = new LinkedHashMap<>(spec.volumes());
    this.created = created;
  }

  boolean running() {
    return "running".equals(state);
  }

  /** Its process exists: running, or paused (Docker's State.Running is true for both). */
  boolean up() {
    return running() || "paused".equals(state);
  }

  boolean member() {
    return Names.COMPONENT_MEMBER.equals(labels.get(Names.LABEL_COMPONENT));
  }

  Optional<String> text(String path) {
    FileContent f = files.get(path);
    return f == null ? Optional.empty() : Optional.of(new String(f.content(), StandardCharsets.UTF_8));
  }
}

package io.pgherd.fake;

import io.pgherd.model.Names;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@link FakePostgres} simulates: the data directories by volume, the servers by container
 * id, and who can reach whom; the split brains seen. Used under the engine's lock.
 */
final class PgServers {
  /** volume name → data directory */
  final Map<String, PgData> volumes = new HashMap<>();
  /** container id → its running server */
  final Map<String, PgServer> servers = new LinkedHashMap<>();
  final List<String> splitBrains = new ArrayList<>();

  Optional<PgServer> server(String member) {
    return servers.values().stream().filter(s -> s.member.equals(member)).findFirst();
  }

  PgData data(String member) {
    PgData d = volumes.get(Names.volume(member));
    if (d == null) {
      throw new IllegalStateException("no data volume for " + member);
    }
    return d;
  }

  /** The data directory on one of the container's volumes; null when it has none. */
  PgData dataOf(FakeContainer c) {
    return c.volumes.keySet().stream().map(volumes::get).filter(x -> x != null).findFirst().orElse(null);
  }

  List<PgServer> all() {
    return List.copyOf(servers.values());
  }

  /** A running primary that {@code from}'s container can reach by the name {@code host}. */
  PgServer primaryAt(PgServer from, String host) {
    if (host == null) {
      return null;
    }
    for (PgServer t : servers.values()) {
      if (t != from && t.name().equals(host) && t.up() && !t.data.standby
          && t.container.networks.stream().anyMatch(from.container.networks::contains)) {
        return t;
      }
    }
    return null;
  }

  /** Whether a standby streams from {@code s} through {@code slot}. */
  boolean active(PgServer s, String slot) {
    return servers.values().stream().anyMatch(t -> t.receiving && t.sender == s && slot.equals(t.slot));
  }

  /** {@code s} accepts writes now: every other writable server of its database system is a split brain. */
  void noteSplitBrain(PgServer s) {
    for (PgServer t : servers.values()) {
      if (t != s && t.up() && !t.data.standby && t.data.systemId == s.data.systemId) {
        splitBrains.add(t.name() + " and " + s.name() + " both accept writes");
      }
    }
  }

  /** For the load balancer's health checks: the container runs a PostgreSQL that accepts connections. */
  boolean accepting(String containerName) {
    return servers.values().stream().anyMatch(s -> s.name().equals(containerName) && s.up());
  }

  boolean writable(String containerName) {
    return servers.values().stream().anyMatch(s -> s.name().equals(containerName) && s.up() && !s.data.standby);
  }

  /** For messages: every data directory. */
  @Override
  public String toString() {
    return new TreeMap<>(volumes).toString();
  }
}

package io.pgherd.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgherd.api.BackupsStatus;
import io.pgherd.api.FailoverStatus;
import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.reconcile.Operator;
import io.pgherd.store.Home;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's metrics (docs/metrics.md), in a Micrometer Prometheus registry.
 *
 * <p>Cluster and member gauges are computed from the status each cluster's reconciler writes to
 * {@code <home>/status/NAME.json}, read again at every scrape (and after every reconcile pass, so
 * that no change of primary is missed between two scrapes): nothing here touches Docker or
 * PostgreSQL. Series of members and clusters that are gone are removed. Reconcile durations and
 * errors come from {@link Operator}'s workers through {@link Operator.PassListener}.
 */
public final class OperatorMetrics implements Operator.PassListener {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorMetrics.class);

  /** Failover kinds as the status writes them, and the label value each gets. */
  static final Map<String, String> FAILOVER_KINDS = Map.of(
      "failover", "automatic", "manual failover", "manual", "switchover", "switchover");

  /** Histogram buckets of the reconcile pass duration. */
  private static final Duration[] PASS_BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
      30000, 60000).map(Duration::ofMillis).toArray(Duration[]::new);

  private final Home home;
  private final Clock clock;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** The gauges now registered, by cluster, then by series. */
  private final Map<String, Map<SeriesKey, Series>> gauges = new HashMap<>();
  /** The last change of primary seen per cluster (null: none), to count the next one. */
  private final Map<String, AtomicReference<String>> lastFailover = new HashMap<>();

  public OperatorMetrics(Home home) {
    this(home, Clock.systemUTC());
  }

  OperatorMetrics(Home home, Clock clock) {
    this.home = Objects.requireNonNull(home);
    this.clock = Objects.requireNonNull(clock);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Refreshes the gauges from every stored status and returns the Prometheus text exposition. */
  public synchronized String scrape() {
    refresh();
    return registry.scrape();
  }

  @Override
  public synchronized void passEnded(String cluster, Duration took, Throwable failure) {
    Timer.builder("pgherd.reconcile.duration")
        .description("How long reconcile passes take (observe, decide, act, write the status).")
        .tag("cluster", cluster)
        .serviceLevelObjectives(PASS_BUCKETS)
        .register(registry)
        .record(took);
    Counter errors = reconcileErrors(cluster);
    if (failure != null) {
      errors.increment();
    }
    try {
      observe(cluster, home.readStatus(cluster).orElse(null));
    } catch (RuntimeException e) {
      LOG.debug("metrics: cannot read the status of {}: {}", cluster, e.toString());
    }
  }

  private Counter reconcileErrors(String cluster) {
    return Counter.builder("pgherd.reconcile.errors")
        .description("Reconcile passes that ended in an error (Docker unreachable included); the pass is retried.")
        .tag("cluster", cluster)
        .register(registry);
  }

  /** Every cluster with a status file: its gauges updated; those of clusters without one removed. */
  synchronized void refresh() {
    Set<String> clusters = new HashSet<>(statusClusters());
    for (String cluster : clusters) {
      try {
        observe(cluster, home.readStatus(cluster).orElse(null));
      } catch (RuntimeException e) { // a status being replaced or corrupt: keep the last values
        LOG.debug("metrics: cannot read the status of {}: {}", cluster, e.toString());
      }
    }
    for (String gone : new ArrayList<>(gauges.keySet())) {
      if (!clusters.contains(gone)) {
        observe(gone, null);
      }
    }
  }

  private List<String> statusClusters() {
    Path dir = home.statusFile("x").getParent();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json") && !n.startsWith("."))
          .map(n -> n.substring(0, n.length() - ".json".length()))
          .toList();
    } catch (IOException e) {
      LOG.debug("metrics: cannot list {}: {}", dir, e.toString());
      return List.copyOf(gauges.keySet());
    }
  }

  private boolean specStored(String cluster) {
    try {
      return home.readSpec(cluster).isPresent();
    } catch (RuntimeException e) {
      return true; // cannot tell: keep its counters
    }
  }

  /** Sets the cluster's gauges from its status (null: the cluster is gone, its gauges go). */
  private void observe(String cluster, PostgresClusterStatus status) {
    Map<SeriesKey, Double> values = new LinkedHashMap<>();
    if (status != null) {
      values.putAll(gaugeValues(cluster, status));
      countFailover(cluster, status.getLastFailover());
    }
    Map<SeriesKey, Series> current = gauges.computeIfAbsent(cluster, c -> new HashMap<>());
    for (Map.Entry<SeriesKey, Double> e : values.entrySet()) {
      current.computeIfAbsent(e.getKey(), this::register).value.set(e.getValue());
    }
    for (var it = current.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!values.containsKey(e.getKey())) {
        registry.remove(e.getValue().gauge);
        it.remove();
      }
    }
    if (current.isEmpty() && status == null) {
      gauges.remove(cluster);
    }
    if (status == null && !specStored(cluster)) {
      // deleted: its counters and pass timings go too, so that it leaves no series behind
      lastFailover.remove(cluster);
      for (String name : List.of("pgherd.failovers", "pgherd.reconcile.errors", "pgherd.reconcile.duration")) {
        registry.find(name).tag("cluster", cluster).meters().forEach(registry::remove);
      }
    }
  }

  private Map<SeriesKey, Double> gaugeValues(String cluster, PostgresClusterStatus s) {
    Map<SeriesKey, Double> v = new LinkedHashMap<>();
    Tags c = Tags.of("cluster", cluster);
    v.put(new SeriesKey(Gauges.HEALTHY, c), "Healthy".equals(s.getPhase()) ? 1.0 : 0.0);
    if (s.getTimeline() != null) {
      v.put(new SeriesKey(Gauges.CLUSTER_TIMELINE, c), s.getTimeline().doubleValue());
    }
    if (s.getMembers() != null) {
      v.put(new SeriesKey(Gauges.MEMBERS, c), (double) s.getMembers().size());
      for (MemberStatus m : s.getMembers()) {
        if (m.getName() == null) {
          continue;
        }
        Tags mt = c.and("member", m.getName());
        // the status carries a timeline only when the operator's last probe reached PostgreSQL
        v.put(new SeriesKey(Gauges.UP, mt), m.getTimeline() != null ? 1.0 : 0.0);
        for (String role : List.of("primary", "replica")) {
          v.put(new SeriesKey(Gauges.ROLE, mt.and("role", role)), role.equals(m.getRole()) ? 1.0 : 0.0);
        }
        if (m.getLagBytes() != null) {
          v.put(new SeriesKey(Gauges.LAG, mt), m.getLagBytes().doubleValue());
        }
        if (m.getTimeline() != null) {
          v.put(new SeriesKey(Gauges.MEMBER_TIMELINE, mt), m.getTimeline().doubleValue());
        }
      }
    }
    BackupsStatus b = s.getBackups();
    if (b != null) {
      if (b.getLast() != null) {
        try {
          double age = Duration.between(Instant.parse(b.getLast()), clock.instant()).toMillis() / 1000.0;
          v.put(new SeriesKey(Gauges.BACKUP_AGE, c), Math.max(0, age));
        } catch (java.time.format.DateTimeParseException e) {
          LOG.debug("metrics: {} has an unreadable backups.last: {}", cluster, b.getLast());
        }
      }
      if (b.getLastBackupBytes() != null) {
        v.put(new SeriesKey(Gauges.BACKUP_SIZE, c), b.getLastBackupBytes().doubleValue());
      }
      if (b.getCompleteBackups() != null) {
        v.put(new SeriesKey(Gauges.BACKUPS, c), b.getCompleteBackups().doubleValue());
      }
      if (b.getArchiveLagBytes() != null) {
        v.put(new SeriesKey(Gauges.ARCHIVE_LAG, c), b.getArchiveLagBytes().doubleValue());
      }
    }
    return v;
  }

  /**
   * pgherd_failovers_total counts the changes of primary this operator sees complete: a status
   * whose lastFailover differs from the one seen before. The one already in the status when a
   * cluster is first seen (an operator restart) is not counted again; Prometheus takes the reset
   * of the counter for a restart.
   */
  private void countFailover(String cluster, FailoverStatus last) {
    Map<String, Counter> counters = new HashMap<>();
    for (String kind : FAILOVER_KINDS.values()) {
      counters.put(kind, Counter.builder("pgherd.failovers")
          .description("Changes of primary completed while this operator ran, by kind: automatic failover, "
              + "manual failover (pgherd failover), switchover.")
          .tags("cluster", cluster, "kind", kind)
          .register(registry));
    }
    String key = last == null ? null : last.startedAt() + " " + last.from() + " " + last.to();
    AtomicReference<String> seen = lastFailover.get(cluster);
    if (seen == null) {
      lastFailover.put(cluster, new AtomicReference<>(key));
      return;
    }
    if (key != null && !key.equals(seen.get())) {
      counters.get(FAILOVER_KINDS.getOrDefault(last.kind(), "automatic")).increment();
    }
    seen.set(key);
  }

  private Series register(SeriesKey key) {
    AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
    Gauge gauge = Gauge.builder(key.gauge().name, value, AtomicReference::get)
        .description(key.gauge().description)
        .tags(key.tags())
        .strongReference(true)
        .register(registry);
    return new Series(value, gauge);
  }

  private record SeriesKey(Gauges gauge, Tags tags) {}

  private record Series(AtomicReference<Double> value, Gauge gauge) {}

  /** The gauges computed from the status, with their Micrometer names (docs/metrics.md). */
  enum Gauges {
    HEALTHY("pgherd.cluster.healthy", "1 when the cluster's phase is Healthy (every member in service, load balancer running)."),
    CLUSTER_TIMELINE("pgherd.cluster.timeline", "The primary's PostgreSQL timeline (it grows at each change of primary and restore)."),
    MEMBERS("pgherd.cluster.members", "Members the cluster has (spec.instances once converged)."),
    UP("pgherd.member.up", "1 when the operator's last probe reached the member's PostgreSQL, else 0 (stopped, missing, starting, unreachable)."),
    ROLE("pgherd.member.role", "1 for the member's current role (label role: primary or replica), 0 for the other."),
    LAG("pgherd.member.replication.lag.bytes", "Bytes of WAL the primary has written that the member has not replayed yet (0 on the primary)."),
    MEMBER_TIMELINE("pgherd.member.timeline", "The member's PostgreSQL timeline."),
    BACKUP_AGE("pgherd.backup.last.age.seconds", "Seconds since the newest complete base backup ended."),
    BACKUP_SIZE("pgherd.backup.last.size.bytes", "Size in the object store of the newest complete base backup (compressed)."),
    BACKUPS("pgherd.backups.complete", "Complete base backups in the object store for this cluster."),
    ARCHIVE_LAG("pgherd.wal.archive.lag.bytes", "Bytes of WAL the primary has written that the object store does not hold yet.");

    final String name;
    final String description;

    Gauges(String name, String description) {
      this.name = name;
      this.description = description;
    }
  }
}

package io.pgherd.reconcile;

import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.cli.ApplyForTests;
import io.pgherd.cluster.Result;
import io.pgherd.fake.ActionLog;
import io.pgherd.fake.FakeClock;
import io.pgherd.fake.FakeEngine;
import io.pgherd.fake.FakePostgres;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * A cluster "demo" run by a {@link ClusterReconciler} against a {@link FakeEngine}, its
 * {@link FakePostgres} and the members' agents ({@link FakePostgres#agents()}), in a home of its own; die events are handed to the reconciler as the
 * Operator does. Passes are run by the test, one after the other, with no wait in between.
 * Time is the scene's {@link FakeClock}, shared by the reconciler and the engine: it stands still
 * until the test moves it ({@code clock.advance}), so a detection window or a patience runs out
 * when the test says so, not after a real wait.
 */
final class FakeClusterScene {
  static final String CLUSTER = "demo";
  /** More than any scene here needs: a pass loop that does not end by then is a failure, not a wait. */
  static final int MAX_PASSES = 50;

  final Path dir;
  final Home home;
  final FakeClock clock = new FakeClock();
  final FakeEngine engine = new FakeEngine(clock);
  final FakePostgres postgres = engine.postgres();
  /** The operator's reconciler for this cluster; a new one after {@link #restartOperator()}. */
  volatile ClusterReconciler reconciler;
  /** Events the listener got (as the Operator's event thread would). */
  final List<ContainerRuntime.Event> delivered = new CopyOnWriteArrayList<>();

  FakeClusterScene(Path dir, int instances) {
    this(dir, spec(instances));
  }

  FakeClusterScene(Path dir, String spec) {
    this.dir = dir;
    this.home = new Home(dir.resolve("home"));
    apply(spec);
    reconciler = newReconciler();
    engine.events(Names.LABEL_CLUSTER, event -> {
      delivered.add(event);
      if ("die".equals(event.action()) && event.containerId() != null && event.at() != null) {
        reconciler.containerDied(event.containerId(), event.at());
      }
    }, error -> { });
  }

  /** A spec like manifests/demo.yaml; probes every 500 ms (the least allowed), 3 failures to fail over. */
  static String spec(int instances) {
    return spec(instances, true);
  }

  /** {@link #spec(int)} with automatic failover on or off (switchovers and requested failovers stay allowed). */
  static String spec(int instances, boolean automaticFailover) {
    return """
        apiVersion: pgherd.io/v1
        kind: PostgresCluster
        metadata:
          name: demo
        spec:
          instances: %d
          postgres:
            image: pgherd/postgres:15
          loadBalancer:
            bindAddress: 127.0.0.1
            readWritePort: 5432
            readOnlyPort: 5433
            readOnly: all
          replication:
            mode: async
          failover:
            enabled: %s
            probePeriod: 500ms
            failureThreshold: 3
        """.formatted(instances, automaticFailover);
  }

  /** {@code spec} with spec.postgres.parameters set to {@code nameValues} (name, value, name, value...). */
  static String withParameters(String spec, String... nameValues) {
    StringBuilder lines = new StringBuilder("    parameters:\n");
    for (int i = 0; i < nameValues.length; i += 2) {
      lines.append("      ").append(nameValues[i]).append(": \"").append(nameValues[i + 1]).append("\"\n");
    }
    String image = "    image: pgherd/postgres:15\n";
    if (!spec.contains(image)) {
      throw new IllegalArgumentException("no spec.postgres.image line in " + spec);
    }
    return spec.replace(image, image + lines);
  }

  /** {@code spec} with spec.tls enabled (pgherd's CA and certificates; TLS enforced once every member serves it). */
  static String withTls(String spec) {
    if (spec.contains("\n  tls:\n")) {
      throw new IllegalArgumentException("spec.tls already set in " + spec);
    }
    return spec + "  tls:\n    enabled: true\n";
  }

  /** What `pgherd apply -f` does with this spec. */
  void apply(String spec) {
    try {
      Files.createDirectories(dir);
      Path file = Files.createTempFile(dir, "spec", ".yaml");
      Files.writeString(file, spec);
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      PrintStream quiet = new PrintStream(sink, true, StandardCharsets.UTF_8);
      ApplyForTests.apply(home, file, quiet, quiet);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ClusterReconciler newReconciler() {
    return new ClusterReconciler(home, engine, image -> Optional.empty(), CLUSTER, MemberAccess.ports(), postgres,
        postgres.agents(), clock);
  }

  /** The operator process starts again: a new reconciler (no counters, timers or remembered hashes), same home. */
  void restartOperator() {
    reconciler.close();
    reconciler = newReconciler();
  }

  /** One reconcile pass (its requeue delay is not waited for: the next pass follows at once). */
  void pass() {
    reconciler.reconcile();
  }

  /** A pass as the operator's worker sees it: how long it took (real time) and when it asked to run again. */
  record TimedPass(Duration took, Duration next, String reason, boolean done) {}

  /** One pass, timed. */
  TimedPass timedPass() {
    long start = System.nanoTime();
    Result r = reconciler.reconcile();
    return new TimedPass(Duration.ofNanos(System.nanoTime() - start), r.delay(), r.reason(), r.done());
  }

  /** What `pgherd delete [--purge]` leaves for the operator. */
  void requestDelete(boolean purge) {
    Home.writeAtomically(home.deleteRequest(CLUSTER),
        (purge ? "purge\n" : "keep-volumes\n").getBytes(StandardCharsets.UTF_8), false);
  }

  /** What `pgherd switchover|failover` leaves for the operator (cli/PrimaryChange); false when one is pending. */
  boolean submit(ControlRequest request) {
    return home.requests().submit(CLUSTER, request);
  }

  /** The operator's answer to request {@code id}, taken (removed) once there. */
  Optional<ControlRequest.Result> takeAnswer(String id) {
    return home.requests().takeAnswer(CLUSTER, id);
  }

  /** Runs passes until {@code done} (checked before each); at most {@code max}; returns how many ran. */
  int passUntil(String what, BooleanSupplier done, int max) {
    int ran = 0;
    while (!done.getAsBoolean()) {
      if (ran == max) {
        throw new AssertionError("not " + what + " after " + max + " passes; status: " + status().map(s ->
            s.getPhase() + ": " + s.getMessage()).orElse("none") + "\nlog:\n" + tail(log().toString(), 30)
            + "\nhistory (last 40):\n" + String.join("\n", last(engine.history(), 40)) + "\npostgres: " + postgres);
      }
      pass();
      ran++;
    }
    return ran;
  }

  int passUntil(String what, BooleanSupplier done) {
    return passUntil(what, done, MAX_PASSES);
  }

  /** A new cluster, or one that has just been changed, until its status says Healthy. */
  int converge() {
    return passUntil("healthy", this::healthy);
  }

  /**
   * What passes of a settled cluster call that changes nothing the cluster serves: the replicas'
   * slots moved along with the primary's WAL, and the load balancer's stats read (once, by a new
   * reconciler).
   */
  static boolean steady(String historyEntry) {
    return historyEntry.matches("sql pgherd-demo-\\d advance-slot demo_\\d \\S+")
        || historyEntry.equals("agent haproxy pgherd-demo-lb [show stat]")
        || historyEntry.startsWith("agent files "); // what a container has, asked of its agent: nothing changes
  }

  /** Healthy, then passes until one has made no call but {@link #steady} ones. */
  void settle() {
    converge();
    java.util.concurrent.atomic.AtomicInteger mark = new java.util.concurrent.atomic.AtomicInteger(-1);
    passUntil("settled", () -> {
      boolean quiet = mark.get() >= 0 && healthy()
          && engine.historySince(mark.get()).stream().allMatch(FakeClusterScene::steady);
      mark.set(engine.history().size());
      return quiet;
    });
  }

  boolean healthy() {
    return status().map(s -> "Healthy".equals(s.getPhase())).orElse(false);
  }

  /** Healthy, and the former primary of the last change has rejoined. */
  boolean rejoinedAndHealthy() {
    return healthy() && log().has("rejoined") && state().rejoining().isEmpty();
  }

  Optional<PostgresClusterStatus> status() {
    return home.readStatus(CLUSTER);
  }

  ActionLog log() {
    return ActionLog.read(home, CLUSTER);
  }

  Topology state() {
    return home.readState(CLUSTER).orElseThrow();
  }

  static int indexOf(List<String> history, String entry) {
    return history.indexOf(entry);
  }

  /** The index of the first entry that starts with {@code prefix}; -1 when none does. */
  static int firstStartingWith(List<String> history, String prefix) {
    for (int i = 0; i < history.size(); i++) {
      if (history.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> last(List<String> list, int n) {
    return list.subList(Math.max(0, list.size() - n), list.size());
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n");
    return String.join("\n", java.util.Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
  }
}

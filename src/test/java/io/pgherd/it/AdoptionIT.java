package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgherd.docker.ImageBuilder;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.reconcile.Operator;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A cluster made before pgherd had member agents, adopted on the real engine: its members are first
 * created as an older pgherd created them (no port 8009 published, no agent credentials given: the
 * agent in the image runs without its API, as a member of that time had no API), then an operator
 * of today is started on the same home. It makes the replicas again one by one with their volumes,
 * switches over to one of them and makes the old primary again — under a write loop that loses no
 * acknowledged write, with every row written before still there.
 */
class AdoptionIT extends ClusterTestBase {
  static final String NAME = "itad";
  /** The first operator makes members the older way; the second is today's. */
  private boolean older = true;

  AdoptionIT() {
    super(NAME, 45732, 45733, 3, "");
  }

  @Override
  Operator startOperator() {
    if (!older) {
      return super.startOperator();
    }
    Operator op = new Operator(home, olderWay(docker), ImageBuilder.locate());
    op.start();
    return op;
  }

  /** The engine as an older pgherd used it: members created without the agent's port and credentials. */
  static ContainerRuntime olderWay(ContainerRuntime engine) {
    return (ContainerRuntime) Proxy.newProxyInstance(ContainerRuntime.class.getClassLoader(),
        new Class<?>[] {ContainerRuntime.class}, (proxy, method, args) -> {
          if (method.getName().equals("create") && args.length == 1 && args[0] instanceof ContainerSpec s
              && Names.COMPONENT_MEMBER.equals(s.labels().get(Names.LABEL_COMPONENT))) {
            Map<String, ContainerSpec.FileContent> files = new LinkedHashMap<>(s.files());
            files.keySet().removeIf(path -> path.startsWith(PostgresConf.AGENT_DIR + "/"));
            args = new Object[] {new ContainerSpec(s.name(), s.image(), s.network(), s.labels(), s.volumes(),
                s.ports().stream().filter(p -> p.containerPort() != PostgresConf.AGENT_PORT).toList(), files,
                s.placement())};
          }
          Object result;
          try {
            result = method.invoke(engine, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          return seenAsBefore(result);
        });
  }

  /**
   * What the older operator sees of its members: an agent port (to nowhere: port 9, refused), so that
   * it does not adopt the members it made itself — an older pgherd had no adoption; today's code
   * running the older way would otherwise make them again, the older way, for ever.
   */
  private static Object seenAsBefore(Object result) {
    if (result instanceof io.pgherd.runtime.ContainerInfo c) {
      return withAgentPort(c);
    }
    if (result instanceof java.util.Optional<?> o && o.isPresent() && o.get() instanceof io.pgherd.runtime.ContainerInfo c) {
      return java.util.Optional.of(withAgentPort(c));
    }
    if (result instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof io.pgherd.runtime.ContainerInfo) {
      return l.stream().map(c -> withAgentPort((io.pgherd.runtime.ContainerInfo) c)).toList();
    }
    return result;
  }

  private static io.pgherd.runtime.ContainerInfo withAgentPort(io.pgherd.runtime.ContainerInfo c) {
    if (!Names.COMPONENT_MEMBER.equals(c.labels().get(Names.LABEL_COMPONENT)) || !c.running()
        || c.publishedPorts().containsKey(PostgresConf.AGENT_PORT)) {
      return c;
    }
    Map<Integer, Integer> ports = new java.util.HashMap<>(c.publishedPorts());
    ports.put(PostgresConf.AGENT_PORT, 9);
    return new io.pgherd.runtime.ContainerInfo(c.id(), c.name(), c.image(), c.state(), c.status(), c.labels(), ports,
        c.created(), c.networks());
  }

  private boolean everyMemberHasItsAgentPort() {
    for (int n = 1; n <= 3; n++) {
      var c = docker.container(Names.container(memberName(n)));
      if (c.isEmpty() || !c.get().running() || !c.get().publishedPorts().containsKey(PostgresConf.AGENT_PORT)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void membersMadeBeforeTheAgentsAreMadeAgainReplicasFirstThenASwitchoverLosingNothing() throws Exception {
    for (int n = 1; n <= 3; n++) {
      assertThat(docker.container(Names.container(memberName(n))).orElseThrow().publishedPorts())
          .as("made the older way").doesNotContainKey(PostgresConf.AGENT_PORT);
    }
    String before = primary();
    long timeline = status().getTimeline();
    try (Connection c = ItSupport.connect(home, name, rw)) {
      c.createStatement().execute("create table before_adoption as select g as id from generate_series(1, 5000) g");
    }

    operator.close();
    older = false;
    changed = java.time.Instant.now();
    try (WriteLoop writes = new WriteLoop(home, name, rw, Duration.ofSeconds(240), 200_000)) {
      operator = startOperator();
      await().atMost(ofSeconds(180)).pollInterval(ofSeconds(1)).until(this::everyMemberHasItsAgentPort);
      awaitHealthy(3);
      Duration settle = Duration.ofSeconds(3);
      java.time.Instant done = java.time.Instant.now();
      await().atMost(ofSeconds(60)).until(() -> writes.acknowledgedAfter(done) >= 20);
      Thread.sleep(settle.toMillis());
      writes.close();
      Set<Long> rows;
      try (Connection c = ItSupport.connect(home, name, rw)) {
        assertThat(column0(c, "select count(*) from before_adoption")).isEqualTo("5000");
      }
      rows = column(ItSupport.connect(home, name, rw), "select id::text from cinsert").stream().map(Long::valueOf)
          .collect(Collectors.toSet());
      assertThat(writes.acknowledged.stream().filter(id -> !rows.contains(id)).toList())
          .as("acknowledged writes lost by the adoption").isEmpty();
      System.out.printf("adoption under writes: %d acknowledged, %d errors%n", writes.acknowledged.size(),
          writes.errors.get());
    }
    String log = io.pgherd.store.ClusterLog.readAll(home, name);
    assertThat(log).contains("adopt-switchover: " + before + " → ");
    String now = memberName(home.readState(name).orElseThrow().primary());
    assertThat(now).isNotEqualTo(before);
    assertThat(status().getTimeline()).isGreaterThan(timeline);
    // every member is probed through its agent now, the old primary a replica streaming from the new one
    await().atMost(ofSeconds(60)).untilAsserted(() -> {
      assertThat(status().getMembers()).extracting(m -> m.getState())
          .containsExactlyInAnyOrder("running", "streaming", "streaming");
      for (String m : List.of(memberName(1), memberName(2), memberName(3))) {
        assertThat(docker.logs(Names.container(m), 400)).as(m).contains("API on :8009");
      }
    });
  }
}

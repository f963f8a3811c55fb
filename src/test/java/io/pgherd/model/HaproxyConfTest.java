package io.pgherd.model;

import static io.pgherd.model.ConfTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.HaproxyConf.Server;
import java.util.List;
import org.junit.jupiter.api.Test;

class HaproxyConfTest {
  private static final Server P = new Server("demo-1", "pgherd-demo-1", true);
  private static final Server R2 = new Server("demo-2", "pgherd-demo-2", true);
  private static final Server R3 = new Server("demo-3", "pgherd-demo-3", true);

  private static String section(String cfg, String name) {
    int start = cfg.indexOf("listen " + name + "\n");
    int end = cfg.indexOf("\n\n", start);
    return end < 0 ? cfg.substring(start) : cfg.substring(start, end);
  }

  @Test
  void serverUpMarksTheMemberUpInBothListenersAndTakesOnlyMemberNames() {
    assertThat(HaproxyConf.serverUp("demo-1")).containsExactly("set server rw/demo-1 health up",
        "set server ro/demo-1 health up");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HaproxyConf.serverUp("x'; reboot"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readWriteHoldsOnlyThePrimaryCheckedForNotBeingInRecovery() {
    String cfg = HaproxyConf.render(config("  instances: 3\n"), P, List.of(R2, R3));
    String rw = section(cfg, "rw");
    assertThat(rw).contains("bind :5432", "option httpchk GET /primary", "server demo-1 pgherd-demo-1:5432 check port 8008");
    assertThat(rw.lines().filter(l -> l.trim().startsWith("server "))).hasSize(1);
  }

  @Test
  void readOnlyBalancesOverAllMembersByDefault() {
    String ro = section(HaproxyConf.render(config("  instances: 3\n"), P, List.of(R2, R3)), "ro");
    assertThat(ro).contains("bind :5433", "balance roundrobin", "server demo-1 ", "server demo-2 ", "server demo-3 ");
    assertThat(ro).doesNotContain("backup");
  }

  @Test
  void readOnlyReplicasKeepsThePrimaryAsBackupOnly() {
    String ro = section(HaproxyConf.render(config("  instances: 3\n  loadBalancer:\n    readOnly: replicas\n"), P,
        List.of(R2, R3)), "ro");
    assertThat(ro).contains("server demo-1 pgherd-demo-1:5432 check port 8008 backup");
    assertThat(ro).contains("server demo-2 pgherd-demo-2:5432 check port 8008\n");
  }

  @Test
  void aLaggingReplicaLeavesTheReadOnlyRotation() {
    Server lagging = new Server("demo-3", "pgherd-demo-3", false);
    String ro = section(HaproxyConf.render(config("  instances: 3\n"), P, List.of(R2, lagging)), "ro");
    assertThat(ro).contains("server demo-2 ").doesNotContain("server demo-3 ");
  }

  @Test
  void duringAChangeTheTargetAloneIsInTheReadWriteListenerUncheckedAndTheOldPrimaryNowhere() {
    // demo-1 was the primary; demo-2 is being promoted
    String cfg = HaproxyConf.renderChange(config("  instances: 3\n"), R2, List.of(R3));
    String rw = section(cfg, "rw");
    assertThat(rw.lines().filter(l -> l.trim().startsWith("server "))).containsExactly(
        "    server demo-2 pgherd-demo-2:5432");
    assertThat(section(cfg, "ro")).contains("server demo-2 pgherd-demo-2:5432 check port 8008",
        "server demo-3 pgherd-demo-3:5432 check port 8008");
    assertThat(cfg).doesNotContain("demo-1");
  }

  @Test
  void withoutAPrimaryTheReadWriteListenerHasNoServer() {
    String rw = section(HaproxyConf.render(config("  instances: 3\n"), null, List.of(R2, R3)), "rw");
    assertThat(rw).doesNotContain("server ");
  }

  @Test
  void sessionsOnADownServerAreCutAndNamesAreReResolved() {
    String cfg = HaproxyConf.render(config("  instances: 1\n"), P, List.of());
    assertThat(cfg).contains("on-marked-down shutdown-sessions", "resolvers docker", "nameserver dns 127.0.0.11:53",
        "init-addr last,libc,none");
  }

  @Test
  void renderingIsDeterministic() {
    assertThat(HaproxyConf.render(config("  instances: 3\n"), P, List.of(R2, R3)))
        .isEqualTo(HaproxyConf.render(config("  instances: 3\n"), P, List.of(R2, R3)));
  }

  @Test
  void showStatIsReadIntoTheServersOfEachListenerWithTheirState() throws Exception {
    // captured from pgherd/haproxy:2.6 (HAProxy 2.6): demo-1 failing its checks, demo-2 not resolvable
    String csv = new String(HaproxyConfTest.class.getResourceAsStream("/haproxy/show-stat-2.6.csv").readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    var servers = HaproxyConf.parseStat(csv);
    assertThat(servers.keySet()).containsExactly("rw", "ro");
    assertThat(servers.get("rw")).extracting(f -> f[0] + " " + f[1]).containsExactly("demo-1 DOWN");
    assertThat(servers.get("ro")).extracting(f -> f[0] + " " + f[1])
        .containsExactly("demo-1 DOWN", "demo-2 MAINT (resolution)");
    assertThat(HaproxyConf.parseStat("")).isEmpty();
    assertThat(HaproxyConf.parseStat("rw,demo-1,UP\n")).as("no header: nothing can be read").isEmpty();
  }
}

package io.pgherd.cli;

import io.pgherd.api.LoadBalancerServerStatus;
import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.store.Home;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status", description = "Members (role, state, timeline, LSNs, lag, slot), endpoints and the load"
    + " balancer's servers (up/down), backups, last change.")
final class StatusCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = {"-o", "--output"}, description = "json | yaml | table (default)")
  String output = "table";

  @Option(names = {"-w", "--watch"}, description = "refresh in place every --interval seconds until Ctrl-C (table)")
  boolean watch;

  @Option(names = "--interval", description = "seconds between refreshes with -w (default 2)")
  double interval = 2;

  @Override
  public Integer call() throws Exception {
    if (!List.of("json", "yaml", "table").contains(output)) {
      throw new Main.UserError("-o must be json, yaml or table, got '" + output + "'", 2);
    }
    if (watch && !"table".equals(output)) {
      throw new Main.UserError("-w refreshes the table: it does not go with -o " + output, 2);
    }
    if (!(interval >= 0.2 && interval <= 3600)) {
      throw new Main.UserError("--interval must be between 0.2 and 3600 seconds, got " + interval, 2);
    }
    home.config(name); // a clear error for an unknown cluster
    if (watch) {
      watch(System.out, Long.MAX_VALUE);
      return 0;
    }
    PostgresClusterStatus status = read();
    switch (output) {
      case "json" -> System.out.println(Home.JSON.writeValueAsString(status));
      case "yaml" -> System.out.print(ApplyCommand.YAML.writeValueAsString(status));
      default -> print(status, System.out);
    }
    return 0;
  }

  private PostgresClusterStatus read() {
    return home.home().readStatus(name).orElseThrow(() -> new Main.UserError(
        "no status for " + name + " yet: is `pgherd operator` running on " + home.home().root() + "?"));
  }

  /** The table, redrawn from the top of the terminal {@code times} times, {@code interval} apart. */
  void watch(PrintStream out, long times) throws InterruptedException {
    for (long i = 0; i < times; i++) {
      if (i > 0) {
        Thread.sleep((long) (interval * 1000));
      }
      java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
      PrintStream f = new PrintStream(frame, true, java.nio.charset.StandardCharsets.UTF_8);
      f.printf("Every %ss: pgherd status %s    %s%n%n", interval, name,
          java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
      home.home().readStatus(name).ifPresentOrElse(s -> print(s, f),
          () -> f.println("no status for " + name + " yet: is `pgherd operator` running?"));
      out.print("\033[H\033[2J"); // cursor home, clear screen: the frame replaces the last one
      out.print(frame.toString(java.nio.charset.StandardCharsets.UTF_8));
      out.flush();
    }
  }

  static void print(PostgresClusterStatus s, PrintStream out) {
    out.printf("Cluster:   %s%n", s.getName());
    out.printf("Phase:     %s%s%n", s.getPhase(), s.getLastTransitionTime() == null ? "" : " (since " + s.getLastTransitionTime() + ")");
    if (s.getMessage() != null) {
      out.printf("Message:   %s%n", s.getMessage());
    }
    out.printf("Primary:   %s%n", s.getPrimary());
    out.printf("Timeline:  %s%n", s.getTimeline() == null ? "-" : s.getTimeline());
    if (s.getEndpoints() != null) {
      var e = s.getEndpoints();
      out.printf("Endpoints: read-write %s, read-only %s%n", e.getReadWrite(), e.getReadOnly());
      if (e.getInstances() != null) {
        // on a Swarm: a line pair per copy, one per node
        for (var i : e.getInstances()) {
          out.printf("Load balancer on node %s: %s%n", shortNode(i.getNode()), i.getError() != null
              ? "(unreadable: " + i.getError() + ")" : "read-write → " + servers(i.getReadWriteServers())
                  + "; read-only → " + servers(i.getReadOnlyServers()));
        }
      } else if (e.getReadWriteServers() != null || e.getReadOnlyServers() != null) {
        out.printf("Load balancer: read-write → %s%n", servers(e.getReadWriteServers()));
        out.printf("               read-only  → %s%n", servers(e.getReadOnlyServers()));
      }
    }
    if (s.getTls() != null) {
      var t = s.getTls();
      out.printf("TLS:       %s; CA %s; certificates expire %s%n", t.getState(), t.getCaFile(),
          t.getCertificatesExpire() == null ? "-" : t.getCertificatesExpire());
    }
    if (s.getNetwork() != null) {
      var n = s.getNetwork();
      out.printf("Network:   %s (%s, %s)%n", n.getName(), n.getDriver(), Boolean.TRUE.equals(n.getEncrypted())
          ? "encrypted" : "not encrypted" + (n.getNote() == null ? "" : ": " + n.getNote()));
    }
    if (s.getRestore() != null) {
      var r = s.getRestore();
      out.printf("Restore:   %s from %s to %s%s%n", r.getState(), r.getFrom(), r.getTarget(),
          r.getBackup() == null ? "" : ": backup " + r.getBackup() + ", WAL " + r.getWal() + " ("
              + (r.getWalBytes() == null ? "?" : r.getWalBytes() >> 20) + " MB)");
      if (r.getMessage() != null) {
        out.printf("           %s%n", r.getMessage());
      }
    }
    out.println();
    List<MemberStatus> members = s.getMembers() == null ? List.of() : s.getMembers();
    boolean nodes = members.stream().anyMatch(m -> m.getNode() != null); // on a Swarm: where each runs
    String fmt = "%-14s %-16s %-8s %-20s %-3s %-12s %-12s %-10s %s" + (nodes ? " %s" : "%s") + "%n";
    out.printf(fmt, "MEMBER", "CONTAINER", "ROLE", "STATE", "TL", "LSN", "REPLAY", "LAG", "SLOT", nodes ? "NODE" : "");
    for (MemberStatus m : members) {
      out.printf(fmt, m.getName(), m.getContainer(), m.getRole(), m.getState(), dash(m.getTimeline()), dash(m.getLsn()),
          dash(m.getReplayLsn()), m.getLagBytes() == null ? "-" : m.getLagBytes() + " B", dash(m.getSlot()),
          nodes ? shortNode(m.getNode()) : "");
    }
    for (MemberStatus m : members) {
      if (m.getLastReclone() != null) {
        out.printf("%s re-cloned at %s: %s%n", m.getName(), m.getLastReclone().at(), m.getLastReclone().reason());
      }
    }
    if (s.getBackups() != null) {
      var b = s.getBackups();
      out.println();
      out.printf("WAL archive: last segment %s, current %s (kept current in the store), last upload %s%n",
          dash(b.getLastArchivedWal()), dash(b.getCurrentWal()), dash(b.getLastArchiveUpload()));
      if (b.getArchiveLagBytes() != null) {
        out.printf("WAL archive lag: %d B (written by the primary, not yet in the store; the store holds all up to %s)%n",
            b.getArchiveLagBytes(), dash(b.getArchivedLsn()));
      }
      if (b.getArchiveError() != null) {
        out.printf("WAL archive error (WAL kept, retrying): %s%n", b.getArchiveError());
      }
      out.printf("Base backups: %s complete, last %s (%s), first recoverability point %s, next scheduled %s%n",
          b.getCompleteBackups() == null ? "-" : b.getCompleteBackups(), dash(b.getLastBackupId()), dash(b.getLast()),
          dash(b.getFirstRecoverabilityPoint()), dash(b.getNextScheduled()));
      if (b.getRunning() != null) {
        out.printf("Backup running: %s (%s) from %s: %s%n", b.getRunning().getId(), b.getRunning().getTrigger(),
            b.getRunning().getMember(), dash(b.getRunning().getProgress()));
      }
      if (b.getLastOutcome() != null && !Boolean.TRUE.equals(b.getLastOutcome().getOk())) {
        out.printf("Last backup failed: %s (%s)%n", b.getLastOutcome().getMessage(), b.getLastOutcome().getAt());
      }
    }
  }

  private static String servers(List<LoadBalancerServerStatus> servers) {
    if (servers == null || servers.isEmpty()) {
      return "(none)";
    }
    return String.join(", ", servers.stream().map(v -> v.getMember() + " " + v.getState()).toList());
  }

  /** A Swarm node ID as docker's own tables show it: its first 12 characters. */
  static String shortNode(String node) {
    return node == null ? "-" : node.length() > 12 ? node.substring(0, 12) : node;
  }

  private static String dash(Object o) {
    return o == null ? "-" : o.toString();
  }
}

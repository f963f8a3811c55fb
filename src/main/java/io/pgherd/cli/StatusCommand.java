package io.pgherd.cli;

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

@Command(name = "status", description = "Members (role, state, timeline, LSNs, lag, slot), endpoints, last change.")
final class StatusCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = {"-o", "--output"}, description = "json | yaml | table (default)")
  String output = "table";

  @Override
  public Integer call() throws Exception {
    home.config(name); // a clear error for an unknown cluster
    PostgresClusterStatus status = home.home().readStatus(name).orElseThrow(() -> new Main.UserError(
        "no status for " + name + " yet: is `pgherd operator` running on " + home.home().root() + "?"));
    switch (output) {
      case "json" -> System.out.println(Home.JSON.writeValueAsString(status));
      case "yaml" -> System.out.print(ApplyCommand.YAML.writeValueAsString(status));
      case "table" -> print(status, System.out);
      default -> throw new Main.UserError("-o must be json, yaml or table, got '" + output + "'", 2);
    }
    return 0;
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
      out.printf("Endpoints: read-write %s, read-only %s%n", s.getEndpoints().getReadWrite(), s.getEndpoints().getReadOnly());
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
    String fmt = "%-14s %-16s %-8s %-20s %-3s %-12s %-12s %-10s %s%n";
    out.printf(fmt, "MEMBER", "CONTAINER", "ROLE", "STATE", "TL", "LSN", "REPLAY", "LAG", "SLOT");
    for (MemberStatus m : members) {
      out.printf(fmt, m.getName(), m.getContainer(), m.getRole(), m.getState(), dash(m.getTimeline()), dash(m.getLsn()),
          dash(m.getReplayLsn()), m.getLagBytes() == null ? "-" : m.getLagBytes() + " B", dash(m.getSlot()));
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

  private static String dash(Object o) {
    return o == null ? "-" : o.toString();
  }
}

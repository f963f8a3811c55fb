package io.pgherd.cli;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.backup.BackupCatalog;
import io.pgherd.backup.BackupInfo;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.store.Home;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "backups", description = {
    "The cluster's base backups in its object store: id, state, start, end, size, LSN range, timeline.",
    "Reads the store itself, so it needs the store's credentials (the same environment or file as the operator)."})
final class BackupsCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = {"-o", "--output"}, description = "json | table (default)")
  String output = "table";

  @Override
  public Integer call() throws Exception {
    BackupConfig cfg = home.backupConfig(name);
    if (!List.of("json", "table").contains(output)) {
      throw new Main.UserError("-o must be json or table, got '" + output + "'", 2);
    }
    List<BackupInfo> backups;
    try (ObjectStore store = ObjectStores.open(cfg.store(), home.home().root(), System::getenv)) {
      backups = BackupCatalog.list(store, name);
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new Main.UserError("cannot list the backups of " + name + ": " + e.getMessage());
    }
    String running = home.home().readStatus(name).map(PostgresClusterStatus::getBackups)
        .map(b -> b.getRunning() == null ? null : b.getRunning().getId()).orElse(null);
    if (output.equals("json")) {
      System.out.println(Home.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(backups));
    } else {
      print(backups, running, System.out);
    }
    return 0;
  }

  static void print(List<BackupInfo> backups, String running, PrintStream out) {
    if (backups.isEmpty()) {
      out.println("no base backups yet");
      return;
    }
    boolean severalSystems = backups.stream().map(BackupInfo::systemIdentifier).distinct().count() > 1;
    String fmt = "%-18s %-11s %-12s %-20s %-20s %9s %9s %-12s %-12s %-3s%s%n";
    out.printf(fmt, "ID", "STATE", "MEMBER", "START", "END", "SIZE", "STORED", "START LSN", "STOP LSN", "TL",
        severalSystems ? "  SYSTEM ID" : "");
    for (BackupInfo b : backups) {
      String state = b.state();
      if (BackupInfo.RUNNING.equals(state) && !b.id().equals(running)) {
        state = "interrupted"; // its record says running, but nothing runs it: never restorable
      }
      out.printf(fmt, b.id(), state, dash(b.member()), time(b.started()), time(b.finished()), mb(b.tarBytes()),
          mb(b.storedBytes()), dash(b.startLsn()), dash(b.stopLsn()), dash(b.timeline()),
          severalSystems ? "  " + b.systemIdentifier() : "");
      if (b.error() != null && !BackupInfo.COMPLETE.equals(b.state())) {
        out.printf("%18s   %s%n", "", b.error());
      }
    }
  }

  private static String time(String iso) {
    return iso == null ? "-" : Optional.of(iso).map(t -> t.length() > 19 ? t.substring(0, 19) + "Z" : t).get();
  }

  private static String mb(Long bytes) {
    return bytes == null ? "-" : String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1048576.0);
  }

  private static String dash(Object o) {
    return o == null ? "-" : o.toString();
  }
}

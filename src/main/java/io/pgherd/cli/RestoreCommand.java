package io.pgherd.cli;

import io.pgherd.api.BackupConfig;
import io.pgherd.backup.RestorePlanner;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = {
    "Point-in-time recovery of a cluster from its backups. With --dry-run: which backup and WAL a restore",
    "to this target would use, or why the target is refused (with the recoverable range); nothing changes.",
    "Restoring in place is not built yet: restore into a new cluster with spec.bootstrap.recovery."})
final class RestoreCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name (whose backups are read)")
  String name;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Target target = new Target();

  static final class Target {
    @Option(names = "--to-time", paramLabel = "TIME", description = "e.g. 2026-11-26T05:00:00Z")
    String time;

    @Option(names = "--to-xid", paramLabel = "XID", description = "a transaction id: stop after its commit")
    String xid;

    @Option(names = "--to-lsn", paramLabel = "LSN", description = "a WAL location, e.g. 0/3000060")
    String lsn;

    @Option(names = "--to-name", paramLabel = "NAME", description = "a restore point (pg_create_restore_point)")
    String name;

    @Option(names = "--immediate", description = "the end of the newest base backup")
    boolean immediate;
  }

  @Option(names = "--exclusive", description = "stop just before the time, xid or LSN (default: just after)")
  boolean exclusive;

  @Option(names = "--dry-run", description = "only say what the restore would use; change nothing")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    BackupConfig cfg = home.backupConfig(name);
    RestorePlanner.Target t = target();
    if (!dryRun) {
      throw new Main.UserError("restoring " + name + " in place is not built yet: `--dry-run` shows what a restore to "
          + t.describe() + " would use; to restore into a new cluster, apply a spec with spec.bootstrap.recovery"
          + " (docs/restore.md)", 1);
    }
    Path work = Files.createTempDirectory("pgherd-restore-plan-");
    try (ObjectStore store = ObjectStores.open(cfg.store(), home.home().root(), System::getenv)) {
      RestorePlanner.Plan plan = RestorePlanner.plan(store, name, t, work, line -> System.err.println(line));
      System.out.println("would restore " + plan.describe());
      System.out.println(plan.range());
      System.out.print("recovery settings: " + (plan.recoveryConf().isEmpty() ? "(none: replay all the WAL)\n"
          : "\n" + plan.recoveryConf().replaceAll("(?m)^", "  ")));
      return 0;
    } catch (RestorePlanner.Refused e) {
      throw new Main.UserError("restore refused: " + e.getMessage(), 1);
    } finally {
      try (var walk = Files.walk(work)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private RestorePlanner.Target target() {
    boolean inclusive = !exclusive;
    if (target.time != null) {
      try {
        RestorePlanner.parseTime(target.time);
      } catch (IllegalArgumentException e) {
        throw new Main.UserError("--to-time: not a time: '" + target.time + "' (e.g. 2026-11-26T05:00:00Z)", 2);
      }
      return new RestorePlanner.Target("time", target.time, inclusive);
    }
    if (target.xid != null) {
      if (!target.xid.matches("[0-9]{1,20}")) {
        throw new Main.UserError("--to-xid: not a transaction id: '" + target.xid + "'", 2);
      }
      return new RestorePlanner.Target("xid", target.xid, inclusive);
    }
    if (target.lsn != null) {
      if (!target.lsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
        throw new Main.UserError("--to-lsn: not a WAL location: '" + target.lsn + "' (e.g. 0/3000060)", 2);
      }
      return new RestorePlanner.Target("lsn", target.lsn.toUpperCase(), inclusive);
    }
    if (target.name != null) {
      if (target.name.isEmpty() || target.name.length() > 63) {
        throw new Main.UserError("--to-name: a restore point name has 1 to 63 characters", 2);
      }
      return new RestorePlanner.Target("name", target.name, true);
    }
    if (target.immediate) {
      return new RestorePlanner.Target("immediate", null, true);
    }
    return RestorePlanner.Target.latest();
  }
}

package io.pgherd.cli;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;
import io.pgherd.store.Home;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --home, shared by every command. */
final class HomeOption {
  @Option(names = "--home", description = "operator home (default: $PGHERD_HOME, else ~/.pgherd)")
  Path home;

  Home home() {
    return Home.resolve(home);
  }

  /** The stored spec's backup section, or a clear error when it has none. */
  BackupConfig backupConfig(String cluster) {
    config(cluster);
    ValidationResult v = SpecValidator.parse(home().readSpec(cluster).orElseThrow());
    return BackupConfig.from(v.cluster()).orElseThrow(() -> new Main.UserError(
        cluster + " has no spec.backup section: add one (without a WAL archive a base backup cannot be restored)", 2));
  }

  /**
   * Refuses a command-line cluster name that no cluster can have, before it is used to find the
   * cluster's files (a name such as ../clusters/demo would reach another cluster's).
   */
  static void checkName(String cluster) {
    SpecValidator.clusterNameProblem(cluster).ifPresent(why -> {
      throw new Main.UserError("not a cluster name: " + (cluster == null || cluster.isEmpty() ? "''" : why), 2);
    });
  }

  /** The stored, valid configuration of a cluster, or a clear error. */
  ClusterConfig config(String cluster) {
    checkName(cluster);
    Home h = home();
    String text = h.readSpec(cluster).orElseThrow(() -> new Main.UserError(
        "no cluster named '" + cluster + "' in " + h.root() + " (known: " + h.clusters() + ")", 2));
    ValidationResult v = SpecValidator.parse(text);
    if (!v.ok()) {
      throw new Main.UserError("the stored spec of " + cluster + " is invalid: " + v.errors(), 1);
    }
    return ClusterConfig.from(v.cluster());
  }
}

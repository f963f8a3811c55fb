package io.pgherd.cli;

import io.pgherd.store.ControlRequest;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "failover", description = {
    "Manual failover to a chosen replica, for when the primary is down and automatic failover",
    "would not act (the replica is past replication.maximumLagOnFailover, say). The old primary is",
    "fenced (killed) and rejoins as a replica. Refused while the primary is healthy (use",
    "switchover) or when the target lacks WAL another replica has, unless --force."})
final class FailoverCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = "--to", paramLabel = "MEMBER", required = true, description = "the replica to promote")
  String to;

  @Option(names = "--force", description = "promote even past maximumLagOnFailover, behind another replica, or "
      + "while the primary is healthy: writes the target has not received are lost")
  boolean force;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "how long to wait for the result (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    return PrimaryChange.request(home.home(), name, ControlRequest.FAILOVER, to, force,
        Duration.ofSeconds(timeoutSeconds));
  }
}

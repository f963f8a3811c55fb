package io.pgherd.cli;

import io.pgherd.store.ControlRequest;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "switchover", description = {
    "Planned change of primary, without data loss: writes pause through the read-write port, the",
    "primary shuts down cleanly, the target is promoted once it holds all of its WAL, and the old",
    "primary rejoins as a replica. Waits for the result."})
final class SwitchoverCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = "--to", paramLabel = "MEMBER",
      description = "the replica to promote (default: the most advanced streaming replica)")
  String to;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "how long to wait for the result (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    return PrimaryChange.request(home.home(), name, ControlRequest.SWITCHOVER, to, false,
        Duration.ofSeconds(timeoutSeconds));
  }
}

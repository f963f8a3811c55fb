package io.pgherd.cli;

import io.pgherd.metrics.MetricsServer;
import picocli.CommandLine.Option;

/** --metrics HOST:PORT, for the commands that run the operator (operator, up). */
final class MetricsOption {
  @Option(names = "--metrics", paramLabel = "HOST:PORT",
      description = "serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9187; default: none); "
          + "docs/metrics.md")
  String address;

  /** A malformed address is refused before anything else happens (a port in use, when it is bound). */
  void check() {
    if (address != null) {
      try {
        MetricsServer.parse(address);
      } catch (IllegalArgumentException e) {
        throw new Main.UserError(e.getMessage(), 2);
      }
    }
  }
}

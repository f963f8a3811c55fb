package io.pgherd.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Every 200 ms (at most 1500 times), which server a load balancer's read-write port leads to, and whether it is writable. */
final class LbSampler implements AutoCloseable {
  record Sample(long second, String server) {}

  final List<Sample> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Process process;
  private final Thread reader;

  /** Samples lab host {@code host}'s load balancer at its read-write port {@code port}, as postgres with {@code password}. */
  LbSampler(int host, int port, String password) throws Exception {
    Path pass = Files.createTempFile("pgpass", "");
    Files.writeString(pass, "*:*:*:postgres:" + password + "\n");
    Files.setPosixFilePermissions(pass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    // from inside the host's own namespace: its load balancer is reachable there while it is cut off
    String loop = "for i in $(seq 1 1500); do r=$(psql -h " + SwarmLab.address(host) + " -p " + port
        + " -U postgres -d postgres -qAtc \"select inet_server_addr(), pg_is_in_recovery()\" 2>/dev/null);"
        + " echo \"$(date +%s%N) $r\"; sleep 0.2; done";
    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", "pgsw" + host, "bash", "-c", loop)
        .redirectErrorStream(true);
    pb.environment().put("PGPASSFILE", pass.toString());
    pb.environment().put("PGCONNECT_TIMEOUT", "1");
    process = pb.start();
    process.getOutputStream().close();
    reader = new Thread(() -> {
      try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          String[] f = line.trim().split(" ", 2);
          if (f.length == 2 && f[1].endsWith("|f")) { // connected to a server that is not in recovery
            samples.add(new Sample(Long.parseLong(f[0]) / 100_000_000L, f[1].substring(0, f[1].indexOf('|'))));
          }
        }
      } catch (java.io.IOException e) {
        // ended
      }
    }, "lb-sampler-" + host);
    reader.setDaemon(true);
    reader.start();
  }

  /** Tenths of a second in which two different servers were writable, through any load balancers. */
  static Map<Long, Set<String>> dualWritable(List<LbSampler> samplers) {
    Map<Long, Set<String>> by = new java.util.TreeMap<>();
    for (LbSampler s : samplers) {
      for (Sample x : s.samples) {
        by.computeIfAbsent(x.second(), k -> new HashSet<>()).add(x.server());
      }
    }
    by.values().removeIf(servers -> servers.size() < 2);
    return by;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor(5, TimeUnit.SECONDS);
    reader.join(5000);
  }
}

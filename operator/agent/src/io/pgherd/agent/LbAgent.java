package io.pgherd.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * pgherd-agent in the load balancer's container (pgherd/haproxy): the operator's way to HAProxy
 * without the engine's exec or archive copy, over the same API as a member's agent (HTTPS, mutual
 * TLS with the cluster's CA, client CN pgherd-operator):
 *
 * <ul>
 *   <li>{@code GET /v1/status}: whether HAProxy's admin socket answers;</li>
 *   <li>{@code PUT /v1/files}: haproxy.cfg (and the agent's own certificate) written in place;</li>
 *   <li>{@code POST /v1/reload}: SIGUSR2 to the container's PID 1 (pgherd-haproxy, which saves the
 *       server states and has the master reload: a seamless reload);</li>
 *   <li>{@code POST /v1/haproxy}: the body's lines, each a command to HAProxy's admin socket
 *       (one connection each, in order); the answer is their output, concatenated.</li>
 * </ul>
 *
 * Started by pgherd-haproxy when its credentials are there. Settings (environment):
 * PGHERD_AGENT_DIR (/etc/pgherd/agent), PGHERD_AGENT_API_PORT (8009), PGHERD_HAPROXY_ADMIN_SOCKET
 * (/run/haproxy/admin.sock), PGHERD_HAPROXY_CONFIG_DIR (/usr/local/etc/haproxy).
 */
public final class LbAgent {
  static final long SOCKET_TIMEOUT_MILLIS = 2000;
  /** Commands in one call: pgherd sends two or three. */
  static final int MAX_COMMANDS = 16;

  private LbAgent() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    Log log = new Log(System.out);
    Path dir = Path.of(env.getOrDefault("PGHERD_AGENT_DIR", "/etc/pgherd/agent"));
    int apiPort = Integer.parseInt(env.getOrDefault("PGHERD_AGENT_API_PORT", "8009"));
    Path configDir = Path.of(env.getOrDefault("PGHERD_HAPROXY_CONFIG_DIR", "/usr/local/etc/haproxy"));
    HaproxySocket haproxy = new HaproxySocket(Path.of(env.getOrDefault("PGHERD_HAPROXY_ADMIN_SOCKET",
        "/run/haproxy/admin.sock")), SOCKET_TIMEOUT_MILLIS);
    LongSupplier clock = () -> System.nanoTime() / 1_000_000;
    Optional<ApiServer> api = Agent.startApi(dir, apiPort, clock, log);
    if (api.isEmpty()) {
      log.info("the load balancer's agent has nothing to do without its API: exiting");
      System.exit(2);
    }
    FileDrop drop = new FileDrop(List.of(Path.of("/etc/pgherd"), configDir));
    api.get()
        .on("GET /v1/status", req -> {
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("component", "load-balancer");
          out.put("agentPid", ProcessHandle.current().pid());
          try {
            haproxy.ask("show info");
            out.put("haproxy", true);
            out.put("haproxyError", null);
          } catch (IOException e) {
            out.put("haproxy", false);
            out.put("haproxyError", String.valueOf(e.getMessage()));
          }
          return new Health.Answer(200, Json.write(out));
        })
        .on("GET /v1/files", req -> new Health.Answer(200, Json.write(Map.of("files", drop.hashes()))))
        .on("PUT /v1/files", req -> {
          List<FileDrop.Item> items = drop.parse(req.body());
          drop.write(items);
          log.info("files delivered: " + items.stream().map(i -> i.path().toString()).toList());
          return new Health.Answer(200, Json.write(Map.of("written", items.size())));
        })
        .on("POST /v1/reload", req -> {
          // the shell's own kill: the image has no procps
          Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -USR2 1").inheritIO().start();
          try {
            if (kill.waitFor() != 0) {
              throw new IOException("kill -USR2 1 failed (status " + kill.exitValue() + ")");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
          }
          return new Health.Answer(200, Json.write(Map.of("reloading", true)));
        })
        .on("POST /v1/haproxy", req -> {
          StringBuilder output = new StringBuilder();
          for (String command : commands(req.body())) {
            output.append(haproxy.ask(command));
          }
          return new Health.Answer(200, Json.write(Map.of("output", output.toString())));
        });
    log.info("load balancer agent ready");
    Thread.currentThread().join(); // the API's threads serve; this one waits for the container's end
  }

  /** The body's non-empty lines (at most {@link #MAX_COMMANDS}). */
  static List<String> commands(InputStream body) throws IOException {
    byte[] bytes = body.readNBytes(64 * 1024 + 1);
    if (bytes.length > 64 * 1024) {
      throw new IllegalArgumentException("the commands' body is larger than 64 KiB");
    }
    List<String> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        out.add(line.strip());
      }
    }
    if (out.isEmpty() || out.size() > MAX_COMMANDS) {
      throw new IllegalArgumentException("1 to " + MAX_COMMANDS + " commands, one per line, not " + out.size());
    }
    return out;
  }
}

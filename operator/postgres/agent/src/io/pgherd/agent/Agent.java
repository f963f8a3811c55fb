package io.pgherd.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;

/**
 * pgherd-agent: the long-lived process in every member container. It runs PostgreSQL as its child
 * (or adopts the one already running when it is itself restarted), keeps one local session open to
 * it, answers HAProxy's health checks from state refreshed every 250 ms, and serves the operator's
 * authenticated API. It exits when PostgreSQL exits, with PostgreSQL's exit status, so the
 * container lives exactly as long as its server.
 *
 * <p>Started by pgherd-entrypoint as the postgres user, which supervises it: an agent that dies
 * while PostgreSQL runs is started again and adopts the server. Settings (environment): PGDATA,
 * PGHERD_MEMBER, and for tests PGHERD_AGENT_HEALTH_PORT (8008), PGHERD_AGENT_API_PORT (8009),
 * PGHERD_AGENT_DIR (/etc/pgherd/agent), PGHERD_AGENT_CONF (/etc/pgherd/postgresql.conf),
 * PGHERD_AGENT_SOCKET_DIR (/var/run/postgresql), PGHERD_AGENT_PERIOD_MS (250).
 */
public final class Agent {
  static final long QUERY_TIMEOUT_MILLIS = 2000;
  /** A state older than this means the server does not answer (a look hangs): 503. */
  static final long MAX_STATE_AGE_MILLIS = 1500;

  private Agent() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    Log log = new Log(System.out);
    Path pgdata = Path.of(required(env, "PGDATA"));
    String member = env.getOrDefault("PGHERD_MEMBER", "");
    int healthPort = Integer.parseInt(env.getOrDefault("PGHERD_AGENT_HEALTH_PORT", "8008"));
    int apiPort = Integer.parseInt(env.getOrDefault("PGHERD_AGENT_API_PORT", "8009"));
    Path dir = Path.of(env.getOrDefault("PGHERD_AGENT_DIR", "/etc/pgherd/agent"));
    Path conf = Path.of(env.getOrDefault("PGHERD_AGENT_CONF", "/etc/pgherd/postgresql.conf"));
    Path socketDir = Path.of(env.getOrDefault("PGHERD_AGENT_SOCKET_DIR", "/var/run/postgresql"));
    long period = Long.parseLong(env.getOrDefault("PGHERD_AGENT_PERIOD_MS", "250"));
    java.util.function.LongSupplier clock = () -> System.nanoTime() / 1_000_000;

    Optional<Postmaster> running = Postmaster.running(pgdata);
    Postmaster pm;
    if (running.isPresent()) {
      pm = running.get();
      log.info("member " + member + ": adopting the PostgreSQL already running (pid " + pm.pid() + ")");
    } else {
      log.info("member " + member + ": starting postgres -D " + pgdata + " -c config_file=" + conf);
      pm = Postmaster.start(pgdata, conf);
    }

    LocalSession session = new LocalSession(socketDir, 5432, QUERY_TIMEOUT_MILLIS);
    HealthWatch watch = new HealthWatch(session, period, QUERY_TIMEOUT_MILLIS, clock, log);
    Thread watcher = HealthServer.daemon(watch, "pgherd-agent-watch");
    watcher.start();
    HealthServer health = new HealthServer(healthPort, watch, MAX_STATE_AGE_MILLIS, clock);
    health.start();
    log.info("health endpoint on :" + healthPort + " (GET /primary, /replica[?lag=N], /health)");
    Postmaster server = pm;
    Status status = new Status(member, pgdata, session, watch, () -> server, clock, QUERY_TIMEOUT_MILLIS);
    startApi(dir, apiPort, status, log);

    int rc = pm.await(() -> !Files.exists(pgdata.resolve("postmaster.pid")));
    log.info("PostgreSQL (pid " + pm.pid() + ") exited with status " + rc);
    watch.stop();
    System.exit(rc);
  }

  private static void startApi(Path dir, int port, Status status, Log log) {
    Path ca = dir.resolve("ca.crt");
    Path cert = dir.resolve("agent.crt");
    Path key = dir.resolve("agent.key");
    if (!Files.exists(cert) || !Files.exists(key) || !Files.exists(ca)) {
      log.info("API off: " + dir + " lacks ca.crt, agent.crt or agent.key (a member created by an older pgherd)");
      return;
    }
    try {
      ApiServer api = new ApiServer(port, Credentials.serverContext(ca, cert, key), status::get, log);
      api.start();
      log.info("API on :" + port + " (HTTPS, client certificates of this cluster's CA, CN "
          + Credentials.OPERATOR_CN + ")");
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      log.info("API off: its credentials in " + dir + " cannot be used: " + e.getMessage());
    }
  }

  private static String required(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(name + " is not set");
    }
    return v;
  }
}

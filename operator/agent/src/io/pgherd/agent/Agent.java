package io.pgherd.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * pgherd-agent: the long-lived process in every member container. It runs PostgreSQL as its child
 * (or adopts the one already running when it is itself restarted), keeps one local session open to
 * it, answers HAProxy's health checks from state refreshed every 500 ms, serves the operator's
 * authenticated API, and fences a primary that is cut off from the operator and the majority. It
 * exits when PostgreSQL exits on its own, with PostgreSQL's exit status, so the container lives as
 * long as its server; a PostgreSQL it stopped itself (a fence) is waited for, not exited on.
 *
 * <p>Started by pgherd-entrypoint as the postgres user, which supervises it: an agent that dies
 * while PostgreSQL runs is started again and adopts the server. Settings (environment): PGDATA,
 * PGHERD_MEMBER, and for tests PGHERD_AGENT_HEALTH_PORT (8008), PGHERD_AGENT_API_PORT (8009),
 * PGHERD_AGENT_DIR (/etc/pgherd/agent), PGHERD_AGENT_CONF (/etc/pgherd/postgresql.conf),
 * PGHERD_AGENT_SOCKET_DIR (/var/run/postgresql), PGHERD_AGENT_PERIOD_MS (500).
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
    long period = Long.parseLong(env.getOrDefault("PGHERD_AGENT_PERIOD_MS", "500"));
    LongSupplier clock = () -> System.nanoTime() / 1_000_000;
    if (args.length == 1 && args[0].equals("restore")) {
      receiveRestore(pgdata, dir, apiPort, clock, log);
      return;
    }

    // PostgreSQL first (unless fenced): the agent's own servers start while it starts
    Fence fence = new Fence(pgdata, log);
    Supervisor server = new Supervisor(pgdata, conf, member, fence, log);
    server.startUnlessFenced();

    LocalSession session = new LocalSession(socketDir, 5432, QUERY_TIMEOUT_MILLIS);
    HealthWatch watch = new HealthWatch(session, period, QUERY_TIMEOUT_MILLIS, clock, log);
    Http.daemon(watch, "pgherd-agent-watch").start();
    HealthServer health = new HealthServer(healthPort, watch::state, MAX_STATE_AGE_MILLIS, clock, log);
    health.start();
    log.info("health endpoint on :" + healthPort + " (GET /primary, /replica[?lag=N], /health)");

    FileDrop drop = new FileDrop(Path.of(env.getOrDefault("PGHERD_AGENT_FILES_ROOT", "/etc/pgherd")));
    Status status = new Status(member, pgdata, session, watch, server, fence, clock, QUERY_TIMEOUT_MILLIS);
    Optional<ApiServer> api = startApi(dir, apiPort, clock, log);
    api.ifPresent(a -> a
        .on("GET /v1/status", req -> new Health.Answer(200, Json.write(status.get())))
        .on("POST /v1/fence", req -> {
          fence.fence("asked by the operator", server.postmaster());
          return new Health.Answer(200, Json.write(Map.of("fenced", true)));
        })
        .on("POST /v1/unfence", req -> new Health.Answer(200, Json.write(Map.of("unfenced", fence.unfence()))))
        .on("POST /v1/stop", req -> {
          boolean stopping = server.stop(req.query("mode", "fast"));
          return new Health.Answer(200, Json.write(Map.of("stopping", stopping)));
        })
        .on("POST /v1/start", req -> {
          server.start(standby(req.query("standby", "false")));
          return new Health.Answer(200, Json.write(Map.of("starting", true)));
        })
        .on("GET /v1/files", req -> new Health.Answer(200, Json.write(Map.of("files", drop.hashes()))))
        .on("PUT /v1/files", req -> {
          java.util.List<FileDrop.Item> items = drop.parse(req.body());
          drop.write(items);
          log.info("files delivered: " + items.stream().map(i -> i.path().toString()).toList());
          return new Health.Answer(200, Json.write(Map.of("written", items.size())));
        })
        .on("POST /v1/reload", req -> {
          session.query("select pg_reload_conf()", QUERY_TIMEOUT_MILLIS);
          return new Health.Answer(200, Json.write(Map.of("reloaded", true)));
        }));
    if (api.isPresent()) {
      Guard guard = new Guard(new AgentConf(dir.resolve("agent.conf")), watch::state, fence, server::postmaster,
          api.get()::lastOperatorCall, clock, period, healthPort, log);
      Http.daemon(guard, "pgherd-agent-guard").start();
    } else {
      log.info("self-fencing off: without its API the agent never hears from the operator");
    }

    int rc = server.run();
    watch.stop();
    System.exit(rc);
  }

  /**
   * {@code pgherd-agent restore}: a member being restored, before it has a PostgreSQL — only the
   * API, receiving what the operator stages ({@link RestoreReceiver}); it runs until
   * pgherd-entrypoint ends it (the restore complete) or the container stops.
   */
  static void receiveRestore(Path pgdata, Path dir, int apiPort, LongSupplier clock, Log log) throws Exception {
    RestoreReceiver receiver = new RestoreReceiver(pgdata,
        System.getenv().getOrDefault("PGHERD_AGENT_RECEIVE_BACKUP", "pgherd-receive-backup"), log);
    ApiServer api = startApi(dir, apiPort, clock, log).orElseThrow(() -> new IllegalStateException(
        "a member being restored needs the agent's API (its credentials in " + dir + ")"));
    api.on("GET /v1/restore", req -> new Health.Answer(200, Json.write(receiver.state())))
        .on("PUT /v1/restore/base", req -> {
          String out = receiver.receiveBase(req.query("format", ""), req.query("size", ""), req.body());
          return new Health.Answer(200, Json.write(Map.of("unpacked", true, "output", out)));
        })
        .on("PUT /v1/restore/files", req -> {
          java.util.List<String> written = receiver.receiveFiles(req.body());
          log.info("restore: " + written.size() + " staged files written under " + receiver.restoreDir());
          return new Health.Answer(200, Json.write(Map.of("written", written.size())));
        });
    log.info("restore: receiving the base backup, the WAL and the target for " + pgdata);
    Thread.currentThread().join(); // until the entrypoint ends it
  }

  static Optional<ApiServer> startApi(Path dir, int port, LongSupplier clock, Log log) {
    Path ca = dir.resolve("ca.crt");
    Path cert = dir.resolve("agent.crt");
    Path key = dir.resolve("agent.key");
    if (!Files.exists(cert) || !Files.exists(key) || !Files.exists(ca)) {
      log.info("API off: " + dir + " lacks ca.crt, agent.crt or agent.key (a member created by an older pgherd)");
      return Optional.empty();
    }
    try {
      ApiServer api = new ApiServer(port, Credentials.serverContext(ca, cert, key, log), clock, log);
      api.start();
      log.info("API on :" + port + " (HTTPS, client certificates of this cluster's CA, CN "
          + Credentials.OPERATOR_CN + ")");
      return Optional.of(api);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      log.info("API off: its credentials in " + dir + " cannot be used: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static boolean standby(String value) {
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("standby must be true or false, not '" + value + "'");
    };
  }

  private static String required(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(name + " is not set");
    }
    return v;
  }
}

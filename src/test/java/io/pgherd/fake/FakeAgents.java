package io.pgherd.fake;

import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentGateway;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The member agents of a {@link FakeEngine}'s member containers, and the reconciler's
 * {@link MemberAgent.Connector}: {@code connect(member, 127.0.0.1, port, ...)} reaches whichever
 * running container publishes {@code port} for 8009, as {@code MemberAccess.ports()} expects.
 *
 * <p>What it simulates of the agent: it runs while its container does, once the operator has
 * delivered its files (the CA, its certificate and key); the mutual TLS as the real handshake
 * would go (the operator refuses a certificate the credentials' CA did not sign or that does not
 * name the member's container; the agent closes the connection on a client certificate its CA did
 * not sign and answers 403 to one whose CN is not pgherd-operator); {@code GET /v1/status}
 * answered from the member's PostgreSQL as its own local connection sees it (the probe
 * {@link FakeInstance} answers over SQL, no password or pg_hba involved), its look always fresh.
 * While its PostgreSQL's SQL hangs ({@link FakePostgres#hang}) or its container is paused, it does
 * not answer within the gateway's read timeout (at once here: the SQL fallback then waits).
 *
 * {@code PUT /v1/files} writes the files into the container ("agent put NAME [files]" in the
 * engine's history), {@code POST /v1/reload} reloads its PostgreSQL ("agent reload NAME"),
 * {@code POST /v1/unfence} lifts a fence ("agent unfence NAME"); {@code POST /v1/stop} stops its
 * PostgreSQL, the container running on ("agent stop NAME fast"), until {@code POST /v1/start}
 * ("agent start NAME [standby]").
 *
 * <p>Switches: {@link #stop} (the agent does not run: connection refused), {@link #start};
 * {@link #disconnect} (it answers, but without a probe), {@link #reconnect}; {@link #fence} (its
 * PostgreSQL stopped by the agent's own fence until the operator lifts it). Counts: {@link #asked}.
 */
public final class FakeAgents implements MemberAgent.Connector {
  private final FakeEngine engine;
  private final FakePostgres postgres;
  private final PgServers pg;
  private final PgSwitches switches;
  private final Set<String> stopped = new TreeSet<>();
  private final Set<String> cutOff = new TreeSet<>();
  private final Set<String> disconnected = new TreeSet<>();
  private final Map<String, Integer> asked = new HashMap<>();
  private final Map<String, Integer> tried = new HashMap<>();
  private final Map<String, Duration> stalls = new HashMap<>();

  FakeAgents(FakeEngine engine, FakePostgres postgres, PgServers pg, PgSwitches switches) {
    this.engine = engine;
    this.postgres = postgres;
    this.pg = pg;
    this.switches = switches;
  }

  /** The member's agent stops running (an image without one, a crash): its port refuses connections. */
  public void stop(String member) {
    synchronized (engine) {
      stopped.add(member);
    }
  }

  /** The member's address answers nothing (its host lost or cut off): no connection within the timeout; undone by {@link #reconnectHost}. */
  public void cutOffHost(String member) {
    synchronized (engine) {
      cutOff.add(member);
    }
  }

  public void reconnectHost(String member) {
    synchronized (engine) {
      cutOff.remove(member);
    }
  }

  /**
   * The member's agent fences it, as it does when cut off from the operator and the majority: its
   * PostgreSQL stops (SQL refused) and stays stopped until the operator's {@code unfence}.
   */
  public void fence(String member, String why) {
    synchronized (engine) {
      switches.fenced.put(member, why);
    }
  }

  public void start(String member) {
    synchronized (engine) {
      stopped.remove(member);
    }
  }

  /**
   * The member's agent loses its connection to PostgreSQL and cannot make a new one (a bug, a
   * socket it cannot open): it answers without a probe, though PostgreSQL serves everyone else.
   */
  public void disconnect(String member) {
    synchronized (engine) {
      disconnected.add(member);
    }
  }

  public void reconnect(String member) {
    synchronized (engine) {
      disconnected.remove(member);
    }
  }

  /**
   * Every status request to the member's agent takes {@code stall} of real time and then fails (a
   * name lookup waiting for an upstream resolver that does not answer); null: answered again.
   */
  public void stall(String member, Duration stall) {
    synchronized (engine) {
      if (stall == null) {
        stalls.remove(member);
      } else {
        stalls.put(member, stall);
      }
    }
  }

  /** The status requests made to the member's agent, answered or not. */
  public int tried(String member) {
    synchronized (engine) {
      return tried.getOrDefault(member, 0);
    }
  }

  /** The status requests the member's agent answered. */
  public int asked(String member) {
    synchronized (engine) {
      return asked.getOrDefault(member, 0);
    }
  }

  @Override
  public MemberAgent connect(String member, String host, int port, MemberAgent.Credentials credentials) {
    return new MemberAgent() {
      @Override
      public AgentStatus status() throws AgentException {
        return statusOf(member, host, port, credentials);
      }

      @Override
      public void putFiles(Map<String, FileContent> files) throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          engine.recordAgent("put " + c.name + " " + files.keySet().stream()
              .map(p -> p.substring(p.lastIndexOf('/') + 1)).toList());
          c.files.putAll(files);
        }
      }

      @Override
      public void unfence() throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          engine.recordAgent("unfence " + c.name);
          switches.fenced.remove(c.labels.get(Names.LABEL_MEMBER));
        }
      }

      @Override
      public void stop(String mode) throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          engine.recordAgent("stop " + c.name + " " + mode);
          postgres.processes().agentStop(c, mode);
        }
      }

      @Override
      public void start(boolean standby) throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          engine.recordAgent("start " + c.name + (standby ? " standby" : ""));
          postgres.processes().agentStart(c, standby);
        }
      }

      @Override
      public Map<String, String> files() throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          engine.recordAgent("files " + c.name);
          Map<String, String> out = new java.util.TreeMap<>();
          c.files.forEach((path, content) -> {
            if ((path.startsWith("/etc/pgherd/") || !c.member() && path.startsWith("/usr/local/etc/haproxy/"))
                && !path.contains("/secrets/")) {
              out.put(path, io.pgherd.cluster.ClusterScope.hash(content.content()));
            }
          });
          return out;
        }
      }

      /** The fake engine restores nothing: its members' agents are never in their restore mode. */
      @Override
      public java.util.Optional<io.pgherd.postgres.AgentRestore> restoreState() throws AgentException {
        synchronized (engine) {
          reach(member, host, port, credentials);
          return java.util.Optional.empty();
        }
      }

      @Override
      public void receiveBaseBackup(java.io.InputStream backup, long size, String format) throws AgentException {
        throw new AgentException("the agent of " + member + ": the fake engine does not restore");
      }

      @Override
      public void receiveRestoreFiles(java.io.InputStream tar, long size) throws AgentException {
        throw new AgentException("the agent of " + member + ": the fake engine does not restore");
      }

      @Override
      public String haproxy(java.util.List<String> commands) throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          if (c.member()) {
            throw new AgentException("the agent of " + member + " at " + host + ":" + port + ": haproxy " + commands
                + ": HTTP 404: {\"error\":\"no such call: /v1/haproxy\"}");
          }
          for (String command : commands) {
            java.util.Optional<String> failure = engine.lbAdminFailure(c, command);
            if (failure.isPresent()) {
              engine.recordAgent("haproxy " + c.name + " " + commands + " [failed: " + failure.get() + "]");
              throw new AgentException("the agent of " + member + " at " + host + ":" + port + ": haproxy " + commands
                  + ": HTTP 500: {\"error\":\"" + failure.get().replace("\"", "'") + "\"}");
            }
          }
          engine.recordAgent("haproxy " + c.name + " " + commands);
          StringBuilder out = new StringBuilder();
          commands.forEach(command -> out.append(engine.lbAdmin(c, command)));
          return out.toString();
        }
      }

      @Override
      public void reload() throws AgentException {
        synchronized (engine) {
          FakeContainer c = reach(member, host, port, credentials);
          if (!c.member()) {
            engine.recordAgent("reload " + c.name);
            engine.lbReloaded(c);
            return;
          }
          PgServer s = pg.servers.get(c.id);
          if (s == null || s.phase != PgServer.Phase.UP || switches.hangs.containsKey(member)) {
            throw new AgentException("the agent of " + member + " at " + host + ":" + port
                + ": reload: HTTP 500: PostgreSQL does not answer");
          }
          engine.recordAgent("reload " + c.name);
          s.reload();
        }
      }

      @Override
      public String toString() {
        return "fake agent " + member + " at " + host + ":" + port;
      }
    };
  }

  private AgentStatus statusOf(String member, String host, int port, MemberAgent.Credentials credentials)
      throws AgentException {
    Duration stall;
    synchronized (engine) {
      tried.merge(member, 1, Integer::sum);
      stall = stalls.get(member);
    }
    if (stall != null) { // real time, outside the engine's lock: as a name lookup that hangs
      try {
        Thread.sleep(stall.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new AgentException("fake agent " + member + ": " + host + ": name lookup gave up after " + stall.toMillis() + " ms");
    }
    synchronized (engine) {
      FakeContainer c = reach(member, host, port, credentials);
      String runs = c.labels.get(Names.LABEL_MEMBER);
      boolean sqlHangs = switches.hangs.containsKey(runs);
      asked.merge(runs, 1, Integer::sum);
      PgServer s = pg.servers.get(c.id);
      PgData d = pg.dataOf(c);
      // as the engine's archive read sees it: a shutdown under way ends after a look or two
      Optional<byte[]> control = postgres.processes().readFile(c, FakePostgres.PG_CONTROL);
      s = pg.servers.get(c.id);
      Optional<String> held = Optional.ofNullable(switches.held.get(runs));
      if (s == null || s.phase != PgServer.Phase.UP || disconnected.contains(runs) || sqlHangs) {
        // a hung server: the agent's own query gives up after its 2 s timeout, and it says so
        String why = sqlHangs ? "the query took longer than 2000 ms: session closed"
            : disconnected.contains(runs) ? "server closed the connection unexpectedly"
            : s != null && s.phase == PgServer.Phase.SHUTTING_DOWN
            ? "FATAL: the database system is shutting down" : "FATAL: the database system is starting up";
        if (s == null && held.isPresent()) {
          why = "connection refused (PostgreSQL is stopped: " + held.get() + ")";
        }
        return new AgentStatus(runs, 57, Optional.ofNullable(s).map(x -> 60L), s != null, "unavailable", 0,
            Optional.empty(), Optional.of(why), control, Optional.empty(), held);
      }
      String fenced = switches.fenced.get(runs);
      if (fenced != null) {
        return new AgentStatus(runs, 57, Optional.empty(), false, "unavailable", 0, Optional.empty(),
            Optional.of("connection refused (PostgreSQL is stopped)"), control, Optional.of(fenced));
      }
      InstanceProbe probe = FakeInstance.probeOf(pg, s);
      return new AgentStatus(runs, 57, Optional.of(60L), true, probe.inRecovery() ? "replica" : "primary", 0,
          Optional.of(probe), Optional.empty(), control);
    }
  }

  /**
   * The running container whose agent {@code member}'s client reaches, after the mutual TLS as the
   * real handshake would go; an AgentException as the gateway would say it otherwise.
   */
  private FakeContainer reach(String member, String host, int port, MemberAgent.Credentials credentials)
      throws AgentException {
    String where = "the agent of " + member + " at " + host + ":" + port + ": ";
    FakeContainer c = engine.byPublishedPort(port, PostgresConf.AGENT_PORT).orElse(null);
    String runs = c == null ? null : c.labels.getOrDefault(Names.LABEL_MEMBER, member); // the load balancer: NAME-lb
    Optional<String> caPem = c == null ? Optional.empty() : c.text(PostgresConf.AGENT_CA_PATH);
    Optional<String> certPem = c == null ? Optional.empty() : c.text(PostgresConf.AGENT_CERT_PATH);
    if (c != null && cutOff.contains(runs)) {
      throw new AgentException(where + "no connection within " + AgentGateway.CONNECT_TIMEOUT.toMillis() + " ms",
          new java.io.IOException(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out")));
    }
    if (c == null || stopped.contains(runs) || caPem.isEmpty() || certPem.isEmpty()
        || c.text(PostgresConf.AGENT_KEY_PATH).isEmpty()) {
      throw new AgentException(where + "connection refused", new java.net.ConnectException("Connection refused"));
    }
    if ("paused".equals(c.state)) {
      throw new AgentException(where + "no answer within " + AgentGateway.READ_TIMEOUT.toMillis() + " ms");
    }
    X509Certificate served = Certificates.parseCertificate(certPem.get());
    try {
      served.verify(credentials.authority().getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new AgentException(where + "TLS handshake refused: the agent's certificate is not one of this"
          + " cluster's CA");
    }
    if (!Certificates.altNames(served).contains(Names.container(member))) {
      throw new AgentException(where + "TLS handshake refused: the agent's certificate is for "
          + Certificates.altNames(served) + ", not for " + Names.container(member));
    }
    try {
      credentials.certificate().verify(Certificates.parseCertificate(caPem.get()).getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new AgentException(where + "the connection was closed without an answer (Connection reset): no agent"
          + " listening behind the port, or it refused the operator's client certificate");
    }
    if (!credentials.certificate().getSubjectX500Principal().getName().contains(
        "CN=" + PostgresConf.AGENT_CLIENT_NAME)) {
      throw new AgentException(where + "HTTP 403: client " + PostgresConf.AGENT_CLIENT_NAME + " only");
    }
    return c;
  }
}

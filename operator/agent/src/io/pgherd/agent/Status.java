package io.pgherd.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The body of {@code GET /v1/status}: who the member is, its postmaster (and why it is stopped:
 * fenced, or held by the operator's stop), its role as the health endpoint sees it, a full {@link Probe} (or why there is none), and its pg_control file (base64,
 * for the operator's parser).
 */
final class Status {
  private final String member;
  private final Path pgdata;
  private final LocalSession session;
  private final HealthWatch watch;
  private final Supervisor server;
  private final Fence fence;
  private final LongSupplier clock;
  private final long queryTimeoutMillis;

  Status(String member, Path pgdata, LocalSession session, HealthWatch watch,
      Supervisor server, Fence fence, LongSupplier clock, long queryTimeoutMillis) {
    this.member = member;
    this.pgdata = pgdata;
    this.session = session;
    this.watch = watch;
    this.server = server;
    this.fence = fence;
    this.clock = clock;
    this.queryTimeoutMillis = queryTimeoutMillis;
  }

  Map<String, Object> get() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("member", member);
    out.put("agentPid", ProcessHandle.current().pid());
    Postmaster pm = server.postmaster();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("pid", pm == null ? null : pm.pid());
    p.put("running", pm != null && pm.alive());
    p.put("adopted", pm != null && pm.adopted());
    out.put("postmaster", p);
    Health.State state = watch.state();
    out.put("role", state == null ? "unavailable" : state.role().json());
    out.put("stateAgeMillis", state == null ? null : clock.getAsLong() - state.atMillis());
    out.put("sessionsOpened", session.connects());
    out.put("fenced", fence.fenced().orElse(null));
    out.put("held", server.held().orElse(null));
    try {
      out.put("probe", Probe.run(session, queryTimeoutMillis));
      out.put("probeError", null);
    } catch (IOException | RuntimeException e) {
      out.put("probe", null);
      out.put("probeError", String.valueOf(e.getMessage()));
    }
    try {
      out.put("pgControl", Base64.getEncoder().encodeToString(Files.readAllBytes(pgdata.resolve("global/pg_control"))));
    } catch (NoSuchFileException e) {
      out.put("pgControl", null); // no data directory yet
    } catch (IOException e) {
      out.put("pgControl", null);
      out.put("pgControlError", String.valueOf(e.getMessage()));
    }
    return out;
  }
}

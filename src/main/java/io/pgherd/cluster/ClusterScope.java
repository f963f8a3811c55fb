package io.pgherd.cluster;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.store.ClusterLog;
import io.pgherd.store.Home;
import io.pgherd.tls.AgentCredentials;
import io.pgherd.tls.ClusterTls;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * One cluster as every step sees it, for the life of its reconciler: where its state is kept
 * (the home), the engine that runs its containers, how its members' PostgreSQL and their agents
 * are reached, its log and its certificates, and the little state that several steps share: the hashes of the
 * files delivered into containers, the members not to be probed while they recover from a
 * backup, and the primary's system identifier.
 */
public final class ClusterScope {
  public final Home home;
  public final ContainerRuntime docker;
  public final String cluster;
  public final PassLog log;
  /** How this process reaches the members' PostgreSQL: published loopback ports or the cluster network. */
  public final MemberAccess access;
  /** The cluster's CA and server certificates (spec.tls). */
  public final ClusterTls tls;
  /** The certificates of the member agents' API: the agents' server certificates, the operator's client one. */
  public final AgentCredentials agentCredentials;
  /** When each member's agent last answered: how long an unreachable primary takes to fence itself. */
  public final AgentContact agentContact = new AgentContact();
  /** Last known content hash of files inside containers, by container id and path. */
  public final Map<String, String> fileHashes = new ConcurrentHashMap<>();
  /**
   * Containers of restored members whose postmaster still recovers (their restore/READY is there):
   * not probed over TCP, which their local-only pg_hba.conf refuses (a FATAL line in their log per
   * probe) until the restore is complete.
   */
  public final Set<String> recovering = ConcurrentHashMap.newKeySet();
  /** How long a die notice may make a container listed as running count as exited. */
  static final Duration DIE_NOTICE_LIFE = Duration.ofSeconds(30);
  /** Containers Docker's event stream said died, and when (see {@link #died}). */
  private final Map<String, Instant> diedAt = new ConcurrentHashMap<>();
  /** Opens a client to a member's PostgreSQL. */
  private final Instance.Connector connector;
  /** Opens a client to a member's agent. */
  private final MemberAgent.Connector agents;
  /** The operator's credentials for the agents, looked at again (renewed when due) at most every minute. */
  private MemberAgent.Credentials agentClient;
  private Instant agentClientChecked = Instant.MIN;
  private final Clock clock;
  /** The primary container's PostgreSQL system identifier, asked once per container. */
  private Map.Entry<String, String> systemIdentifier;

  public ClusterScope(Home home, ContainerRuntime docker, String cluster, MemberAccess access,
      Instance.Connector connector, MemberAgent.Connector agents, Clock clock) {
    this.clock = clock;
    this.home = home;
    this.docker = docker;
    this.cluster = cluster;
    this.log = new PassLog(new ClusterLog(home, cluster));
    this.access = access;
    this.connector = connector;
    this.agents = agents;
    this.tls = new ClusterTls(home, cluster);
    this.agentCredentials = new AgentCredentials(home, cluster, tls);
  }

  public String member(int ordinal) {
    return Names.member(cluster, ordinal);
  }

  public String names(Collection<Integer> ordinals) {
    return ordinals.stream().map(this::member).collect(Collectors.joining(", "));
  }

  /** A client to the member's PostgreSQL, as the superuser; empty when it cannot be reached from here. */
  public Optional<Instance> sql(ContainerInfo c) {
    return postgresAddress(c).map(a -> connector.connect(a.host(), a.port(), PostgresConf.SUPERUSER,
        home.secrets().secret(cluster, Home.SUPERUSER_PASSWORD), tls.rootCertificateIfEnforced().orElse(null)));
  }

  /** Where this process reaches the member's PostgreSQL now (see {@link MemberAccess}). */
  public Optional<MemberAccess.Address> postgresAddress(ContainerInfo c) {
    return access.address(c, Names.network(cluster), PostgresConf.PORT);
  }

  /**
   * A client to the member's agent; empty when its port cannot be reached from here (not
   * published: a container created before pgherd had agents; not on the cluster network).
   */
  public Optional<MemberAgent> agent(ContainerInfo c) {
    // every call counts as word from the operator, as the agent counts it (its self-fencing)
    return agentAddress(c).map(a -> new ContactRecordingAgent(agents.connect(c.label(Names.LABEL_MEMBER), a.host(),
        a.port(), agentClient()), c.id(), agentContact, clock));
  }

  /**
   * A client to the load balancer's agent (its container {@code pgherd-NAME-lb}); empty when its
   * port cannot be reached from here (a load balancer made by an older pgherd publishes none).
   */
  public Optional<MemberAgent> lbAgent(ContainerInfo lb) {
    return agentAddress(lb).map(a -> agents.connect(lbAgentName(), a.host(), a.port(), agentClient()));
  }

  /**
   * A client to one copy of the load balancer's agent: the container's own on one engine (as
   * {@link #lbAgent(ContainerInfo)}), a task's at its address on a Swarm.
   */
  public Optional<MemberAgent> lbAgent(ContainerInfo lb, ContainerRuntime.Instance instance) {
    if (instance.address() == null) {
      return lbAgent(lb);
    }
    return Optional.of(agents.connect(lbAgentName(), instance.id(), instance.address(), PostgresConf.AGENT_PORT,
        agentClient()));
  }

  /** The network this process reaches the cluster's containers on: the Swarm's shared one, else the cluster's. */
  public String reachNetwork() {
    return access.sharedNetwork().orElse(Names.network(cluster));
  }

  /** The load balancer's agent's name as a "member" ({@code NAME-lb}): its container is pgherd-NAME-lb. */
  public String lbAgentName() {
    return cluster + "-lb";
  }

  /**
   * Where this process reaches the member's agent now (see {@link MemberAccess}). On a Swarm, the
   * task's own address on the shared network as the Swarm lists it, not its name: a lookup of a
   * name the network's DNS does not have yet (a task just started) or any more (one that just
   * died) goes to the upstream resolver, and where there is none (an air-gapped Swarm) waits 10-20 s
   * — which other lookups of that name then queue behind — while the agent, hearing nothing, fences
   * its primary. The agent's certificate is checked against its name all the same.
   */
  public Optional<MemberAccess.Address> agentAddress(ContainerInfo c) {
    Optional<MemberAccess.Address> a = access.address(c, Names.network(cluster), PostgresConf.AGENT_PORT);
    Optional<String> shared = access.sharedNetwork();
    if (a.isEmpty() || shared.isEmpty()) {
      return a;
    }
    TaskAddress known = taskAddresses.get(c.id());
    if (known == null || known.at().isBefore(clock.instant().minus(TASK_ADDRESS_TTL))) {
      known = new TaskAddress(docker.address(c.id(), shared.get()).orElse(null), clock.instant());
      taskAddresses.put(c.id(), known);
    }
    return known.ip() == null ? a : Optional.of(new MemberAccess.Address(known.ip(), a.get().port()));
  }

  /** A task's address as last listed (null: none), and when. */
  private record TaskAddress(String ip, Instant at) {}

  /** How long a listed task address is used before it is listed again (a member's task changes when it is made again). */
  private static final Duration TASK_ADDRESS_TTL = Duration.ofSeconds(1);
  private final Map<String, TaskAddress> taskAddresses = new ConcurrentHashMap<>();

  /** The operator's client certificate for the agents and the CA, issued or renewed when due. */
  private synchronized MemberAgent.Credentials agentClient() {
    Instant now = Instant.now(); // certificates go by the real clock, as the agents check them
    if (agentClient == null || now.isAfter(agentClientChecked.plus(Duration.ofMinutes(1)))) {
      ClusterTls.Issued client = agentCredentials.client(now);
      client.reason().ifPresent(why -> log.action("issue-agent-certificate", PostgresConf.AGENT_CLIENT_NAME
          + " (the operator's client certificate for the agents): " + why + "; valid until "
          + client.pair().certificate().getNotAfter().toInstant()));
      agentClient = new MemberAgent.Credentials(agentCredentials.authority(now).certificate(),
          client.pair().certificate(), client.pair().key());
      agentClientChecked = now;
    }
    return agentClient;
  }

  /** With members reached over the cluster network, the operator's own container must be on it. */
  public void joinNetwork() {
    if (access.join(docker, Names.network(cluster))) {
      log.action("join-network", "the operator's container joined " + Names.network(cluster)
          + " to reach the members by name");
    }
  }

  public String systemIdentifier(ContainerInfo primary) throws InstanceException {
    if (systemIdentifier == null || !systemIdentifier.getKey().equals(primary.id())) {
      systemIdentifier = Map.entry(primary.id(), sql(primary).orElseThrow().systemIdentifier());
    }
    return systemIdentifier.getValue();
  }

  /**
   * The content hash of a file in a container ("absent" when it has none): remembered, else asked
   * of its agent (every file it may write at once: {@code GET /v1/files}), else — a container without
   * an agent, or one that does not answer — read from it through the engine.
   */
  public String fileHash(ContainerInfo c, String path) {
    String known = fileHashes.get(c.id() + path);
    if (known != null) {
      return known;
    }
    Optional<MemberAgent> agent = !c.running() ? Optional.empty()
        : c.label(Names.LABEL_MEMBER) != null ? agent(c) : lbAgent(c);
    if (agent.isPresent()) {
      try {
        Map<String, String> files = agent.get().files();
        files.forEach((p, h) -> fileHashes.put(c.id() + p, h));
        return fileHashes.computeIfAbsent(c.id() + path, k -> "absent");
      } catch (AgentException e) {
        // read through the engine below
      }
    }
    return fileHashes.computeIfAbsent(c.id() + path,
        k -> docker.readFile(c.id(), path).map(ClusterScope::hash).orElse("absent"));
  }

  /** What is remembered of a removed container goes: its files' hashes, when its agent last answered. */
  public void forgetContainer(String containerId) {
    fileHashes.keySet().removeIf(k -> k.startsWith(containerId));
    agentContact.forget(containerId);
  }

  /**
   * The member container's definition as a hash (its label): recreated when it changes. The agent's
   * port (8009), published by members created since, is left out on purpose: members created
   * before it are not recreated for it (their probes fall back to SQL until they are recreated).
   */
  public String specHash(ClusterConfig cfg, int ordinal) {
    return hash(("image=" + cfg.image() + "\nports=127.0.0.1::5432\nvolume=" + Names.volume(member(ordinal)) + "\n")
        .getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  /** A replica's replay lag as the primary sees it; null when unknown (not connected). */
  public Long lagBytes(Topology topology, Observed obs, int replica) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    if (primary == null) {
      return null;
    }
    String app = member(replica);
    return primary.replication().stream().filter(st -> st.applicationName().equals(app)).findFirst()
        .map(InstanceProbe.Standby::lagBytes).orElse(null);
  }

  public static String hash(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  /** The clock the steps decide by (detection windows, patiences, recorded times): the system's, or a test's. */
  public Instant instant() {
    return clock.instant();
  }

  /** Now, as the ISO-8601 text stored in intents and answers. */
  public String now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /** Docker said this container died at {@code at} (its event stream). */
  public void containerDied(String containerId, Instant at) {
    diedAt.put(containerId, at);
  }

  /** When Docker said the container died, if it did and has not been seen started since. */
  public Optional<Instant> diedAt(String containerId) {
    return Optional.ofNullable(diedAt.get(containerId));
  }

  /**
   * Listed as running, but Docker's event stream said it died: unless it has been started again
   * since (inspected now), it has exited. (Docker can list a container as running for a moment
   * after its die event; on a Swarm the task list can lag the same way.)
   */
  public boolean died(ContainerInfo c) {
    Instant died = diedAt.get(c.id());
    if (died == null) {
      return false;
    }
    if (died.isBefore(clock.instant().minus(DIE_NOTICE_LIFE))) {
      // a listing lags a death by a moment, not this long: a member seen running this long after
      // its notice runs (its start time may come from another clock than the notice's)
      diedAt.remove(c.id(), died);
      return false;
    }
    Optional<Instant> since = docker.runningSince(c.id());
    if (since.isEmpty() || since.get().isBefore(died)) {
      return true;
    }
    diedAt.remove(c.id(), died);
    return false;
  }
}

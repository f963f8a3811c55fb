package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Which of the operator's replicas on a Swarm acts: the one holding the lease in the Swarm's own
 * store ({@link SwarmLease}, the holder service {@value #SERVICE}). A replica waits in
 * {@link #acquire} before it reads the home or touches anything; from then {@link #keep} renews
 * the lease every {@link LeaseElector#renewEvery()} and, the moment its last successful renewal is
 * too old to be sure nobody else has taken over (a majority of managers unreachable, a Swarm
 * electing a new raft leader), pauses: the operator acts on nothing ({@link #whyNotActing}) until a
 * renewal at its own record goes through again. When the record shows another replica took over,
 * its {@code lost} callback stops the process at once, and the Swarm starts it again as a standby.
 *
 * <p>The timing keeps an isolated primary's self-fencing sound: an old leader pauses before
 * {@code DURATION - MARGIN} has passed since its last renewal began; a standby takes over only
 * after the record has stayed the same for {@code DURATION} on its own clock, and it has never
 * heard the members' agents, so it waits their whole isolation timeout before it counts a silent
 * primary fenced. A holder whose task the Swarm reports ended (exited, on a node that said so) is
 * replaced at once; one on a node the Swarm cannot reach only after the duration.
 */
public final class OperatorLeadership implements AutoCloseable {
  /** The service (zero replicas) whose labels hold the lease. */
  public static final String SERVICE = "pgherd-operator-lease";
  /** The environment variable the operator's service sets to its task's id (a Swarm template). */
  public static final String TASK_ENV = "PGHERD_TASK_ID";
  /** The Swarm template that gives each task its id in {@value #TASK_ENV}. */
  public static final String TASK_TEMPLATE = "{{.Task.ID}}";
  /** The image named in the holder service's spec: never pulled or run (it has no task). */
  static final String IMAGE = "pgherd/operator:latest";
  /**
   * How long a lease lasts without renewal; renewed every third of it. A Swarm electing a new raft
   * leader (10-30 s seen on the lab) takes no write meanwhile: the holder pauses then and resumes
   * after (it no longer stops), and a standby that could not read the store either waits
   * {@link LeaseElector#recoveryGrace()} after it answers again, so the holder renews first. What
   * the duration sets is how soon a standby takes over from a holder whose node is lost or cut off.
   */
  public static final Duration DURATION = Duration.ofSeconds(15);
  /** How much sooner than that its holder stops counting itself leader. */
  public static final Duration MARGIN = Duration.ofSeconds(3);
  /** How often the holder checks that it still leads, between renewals. */
  static final long WATCH_MS = 100;
  /** Task states a node reports once a task's container has stopped. */
  static final Set<TaskState> ENDED = EnumSet.of(TaskState.COMPLETE, TaskState.SHUTDOWN, TaskState.FAILED,
      TaskState.REJECTED); // not ORPHANED nor REMOVE: said of a task on a node that stopped answering

  private final DockerClient client;
  private final SwarmLease lease;
  private final LongSupplier clock;
  private final String me;
  private final Consumer<String> say;
  private volatile long until = Long.MIN_VALUE;
  private volatile String lastError;
  private volatile boolean closed;
  private Thread renewer;
  private Thread watchdog;

  OperatorLeadership(DockerClient client, String me, LongSupplier clock, Consumer<String> say) {
    this.client = client;
    this.me = me;
    this.clock = clock;
    this.say = say;
    this.lease = new SwarmLease(client, SERVICE, IMAGE, new LeaseElector(me, DURATION.toMillis(), MARGIN.toMillis()),
        clock, this::ended);
  }

  /** For the operator in this process: its identity is its task's id when the Swarm gave it one. */
  public static OperatorLeadership forThisProcess(DockerClient client, Consumer<String> say) {
    String task = System.getenv(TASK_ENV);
    String me = task != null && !task.isBlank() && !task.contains("{{") ? task
        : "process-" + UUID.randomUUID().toString().substring(0, 8);
    long origin = System.nanoTime();
    return new OperatorLeadership(client, me, () -> (System.nanoTime() - origin) / 1_000_000, say);
  }

  /** This replica's identity in the lease (its task id). */
  public String me() {
    return me;
  }

  /** The fencing token of this replica's leadership: how many take-overs the lease has seen. */
  public long token() {
    return lease.token();
  }

  /**
   * Blocks until this replica holds the lease, saying once who holds it meanwhile (and each time
   * that changes); an engine that cannot be asked is said and asked again.
   */
  public void acquire() throws InterruptedException {
    String said = null;
    while (true) {
      String why;
      try {
        if (lease.tryOnce()) {
          until = lease.leaderUntil();
          say.accept("took the operator lease (" + SERVICE + ", token " + lease.token() + ") as " + me
              + ": this replica acts from now on (" + lease.lastWhy() + ")");
          return;
        }
        why = "standby: the operator lease is held by " + lease.holder() + "; this replica takes over when it lapses"
            + " (not renewed for " + DURATION.toSeconds() + " s) or its task ends";
      } catch (RuntimeException e) {
        why = "standby: the operator lease cannot be read or written (" + e.getMessage() + "); asking again";
      }
      if (!why.equals(said)) {
        say.accept(why);
        said = why;
      }
      Thread.sleep(lease.renewEvery() / 2);
    }
  }

  /** How soon a renewal that failed (or left this replica not leading) is tried again. */
  static final long RETRY_MS = 1000;

  /**
   * From now on: the lease renewed every {@link LeaseElector#renewEvery()} (every {@value #RETRY_MS}
   * ms while a renewal fails). The moment this replica can no longer be sure it leads (checked every
   * {@value #WATCH_MS} ms, also while a renewal hangs on an engine without a leader) it <em>pauses</em>:
   * {@link #whyNotActing()} says why, and the operator acts on nothing — no pass, no word to an
   * agent — until a renewal goes through at the record it last wrote, which proves nobody took over
   * meanwhile (a Swarm electing a new raft leader, or without a quorum, answers nobody: the standbys
   * cannot take over either). {@code lost} is told once, with why, when the record shows another
   * replica took the lease: it stops the process at once.
   */
  public synchronized void keep(Consumer<String> lost) {
    renewer = daemon(() -> {
      while (!closed) {
        try {
          lease.tryOnce();
          until = lease.leaderUntil();
          lastError = null;
        } catch (RuntimeException e) {
          lastError = e.getMessage();
        }
        if (!closed && until == Long.MIN_VALUE) {
          break; // another replica holds the lease by the record: the watchdog says so
        }
        sleep(lastError != null || clock.getAsLong() >= until ? RETRY_MS : lease.renewEvery());
      }
    }, "pgherd-lease-renew");
    watchdog = daemon(() -> {
      long pausedAt = Long.MIN_VALUE;
      while (!closed) {
        long now = clock.getAsLong();
        if (until == Long.MIN_VALUE) {
          if (!closed) {
            String holder = lease.holder();
            lost.accept((holder == null || holder.isEmpty() ? "lost the operator lease (nobody holds it now"
                : "lost the operator lease to " + holder + " (token " + lease.token())
                + "); this replica stops acting");
          }
          return;
        }
        if (now >= until && pausedAt == Long.MIN_VALUE) {
          pausedAt = now;
          say.accept("pausing: " + whyNotActing() + "; acting on nothing until it is renewed (this replica stops if"
              + " another has taken it over by then)");
        } else if (now < until && pausedAt != Long.MIN_VALUE) {
          say.accept("resumed: the operator lease renewed, nobody took it over; " + (now - pausedAt)
              + " ms without acting");
          pausedAt = Long.MIN_VALUE;
        }
        sleep(WATCH_MS);
      }
    }, "pgherd-lease-watch");
  }

  /** Null while this replica leads; otherwise why it may not act now. */
  public String whyNotActing() {
    if (leads()) {
      return null;
    }
    if (closed || until == Long.MIN_VALUE) {
      return "this replica does not hold the operator lease";
    }
    String error = lastError;
    return "the operator lease could not be renewed for " + (DURATION.toMillis() - MARGIN.toMillis()) + " ms ("
        + (error != null ? error.strip() : "the Swarm did not answer in time") + ")";
  }

  /** How often the acting replica looks at where the primaries are ({@link LeaderPlacement}). */
  static final long PLACEMENT_EVERY_MS = 5000;
  /**
   * How long after taking the lease before it looks the first time (it needs its own first pass's
   * statuses too): a replica that took over on a primary's node leaves it within ~15 s.
   */
  static final long PLACEMENT_AFTER_MS = 10_000;

  /**
   * From now on, every {@value #PLACEMENT_EVERY_MS} ms: when {@link LeaderPlacement} says this
   * replica should not act from its node ({@code primaries}: the clusters' primaries per node id,
   * null while not all is quiet: no look then; the raft leader's node as the Swarm says now),
   * {@code stepOff} is told why: it stops the process at once, and a standby takes the lease as soon
   * as the Swarm reports this task ended (the Swarm starts it again, as a standby); when it returns
   * false (it could not store the home first) this replica looks again later. Only standbys on nodes
   * the Swarm calls ready count.
   */
  public void keepPlaced(Supplier<Map<String, Integer>> primaries,
      Predicate<String> stepOff) {
    daemon(() -> {
      SaidOnce failures = new SaidOnce("cannot look at where this replica acts from (looked at again every "
          + PLACEMENT_EVERY_MS / 1000 + " s)", say);
      sleep(PLACEMENT_AFTER_MS);
      while (!closed) {
        try {
          Task mine = SwarmNodes.task(client, me).orElse(null);
          Map<String, Integer> primariesNow = primaries.get();
          if (mine != null && primariesNow != null) {
            // a standby counts only on a node the Swarm calls ready: a task on a lost node still reads running
            SwarmNodes nodes = SwarmNodes.of(client);
            Set<String> standbys = new HashSet<>();
            for (Task t : client.listTasksCmd().withServiceFilter(mine.getServiceId()).exec()) {
              if (!me.equals(t.getId()) && t.getDesiredState() == TaskState.RUNNING && t.getStatus() != null
                  && t.getStatus().getState() == TaskState.RUNNING && nodes.ready().contains(t.getNodeId())) {
                standbys.add(t.getNodeId());
              }
            }
            Optional<String> why = LeaderPlacement.stepOff(mine.getNodeId(), primariesNow, standbys,
                nodes.raftLeader());
            // no release first: the process stops at once (acting on nothing while a release waits on
            // the Swarm), and a standby takes over as soon as the Swarm reports this task ended
            if (why.isPresent() && !closed && leads() && stepOff.test(why.get())) {
              return;
            }
          }
          failures.succeeded();
        } catch (RuntimeException e) {
          failures.failed(String.valueOf(e.getMessage())); // where it acts from is no emergency: looked at again
        }
        sleep(PLACEMENT_EVERY_MS);
      }
    }, "pgherd-lease-placement");
  }

  /** Whether this replica leads now. */
  public boolean leads() {
    return clock.getAsLong() < until;
  }

  /** Stops renewing and gives the lease up, so a standby takes over at its next look rather than after a whole duration. */
  @Override
  public synchronized void close() {
    closed = true;
    if (renewer != null) {
      renewer.interrupt();
      watchdog.interrupt();
      try {
        renewer.join(2000); // not renewing beside the release (a renewal stuck on the Swarm is left to the lease's lapse)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    until = Long.MIN_VALUE;
    try {
      boolean held = lease.release();
      String holder = lease.holder();
      say.accept(held ? "gave the operator lease up (a clean stop)"
          : "stopped; the operator lease was not this replica's to give up (held by "
              + (holder == null || holder.isEmpty() ? "nobody" : holder) + " by the record last read)");
    } catch (RuntimeException e) {
      say.accept("could not give the operator lease up (" + e.getMessage() + "); a standby takes over when it lapses");
    }
  }

  /** Whether the Swarm reports the task {@code holder} ended (an identity that is no task id is never known to). */
  private boolean ended(String holder) {
    List<Task> tasks = client.listTasksCmd().withIdFilter(holder).exec();
    return tasks.stream().anyMatch(t -> holder.equals(t.getId()) && t.getStatus() != null
        && ENDED.contains(t.getStatus().getState()));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

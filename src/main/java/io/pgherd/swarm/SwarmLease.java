package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A leader lease kept in the Swarm's own replicated store: the labels of a service that runs
 * nothing (zero replicas, so no task and no image pull), updated only at the version it was read
 * at — a compare-and-swap, as Kubernetes operators use a Lease object. The decisions are
 * {@link LeaseElector}'s; this reads and writes the record. For the operator's replicas on a
 * Swarm (issues 22 and 23): only the one that {@link #leads} acts.
 */
public final class SwarmLease {
  static final String LABEL = "io.pgherd.lease.";
  /** What a write that lost the race to another one says (swarmkit's sequence conflict, HTTP 500). */
  static final String OUT_OF_SEQUENCE = "update out of sequence";

  private final DockerClient docker;
  private final String service;
  private final String image;
  private final LeaseElector elector;
  private volatile String lastWhy = "";
  private final LongSupplier clock;
  private final java.util.function.Predicate<String> ended;

  /**
   * @param service the holder service's name (e.g. pgherd-operator-lease)
   * @param image the image named in its spec; never pulled or run (zero replicas)
   * @param clock this process's monotonic clock, in milliseconds
   */
  public SwarmLease(DockerClient docker, String service, String image, LeaseElector elector, LongSupplier clock) {
    this(docker, service, image, elector, clock, holder -> false);
  }

  /**
   * As above, where {@code ended} says whether a holder has ended for good by the Swarm's own view
   * (its task exited, reported by its node): then its lease is taken at once.
   */
  public SwarmLease(DockerClient docker, String service, String image, LeaseElector elector, LongSupplier clock,
      java.util.function.Predicate<String> ended) {
    this.ended = ended;
    this.docker = docker;
    this.service = service;
    this.image = image;
    this.elector = elector;
    this.clock = clock;
  }

  /** One round: read the record, decide, write it when the decision says so. Returns whether this candidate leads now. */
  public boolean tryOnce() {
    long started = clock.getAsLong();
    Service holder;
    try {
      holder = docker.inspectServiceCmd(service).exec();
    } catch (NotFoundException e) {
      holder = null;
    } catch (RuntimeException e) {
      elector.unreadable();
      throw e;
    }
    LeaseElector.Record current = holder == null ? null : record(holder.getSpec().getLabels());
    boolean gone = current != null && !current.holder().isEmpty() && !current.holder().equals(elector.me())
        && ended.test(current.holder());
    LeaseElector.Decision d = elector.decide(current, started, gone);
    lastWhy = d.why();
    if (!d.writes()) {
      return elector.leads(clock.getAsLong());
    }
    elector.written(write(holder, d.write()), started);
    return elector.leads(clock.getAsLong());
  }

  /**
   * Gives the lease up if this candidate holds it by the record (a clean stop); it leads no more
   * either way. Whether it gave it up: false when another holds it, another wrote first, or the
   * lease service is gone.
   */
  public boolean release() {
    long started = clock.getAsLong();
    Service holder;
    try {
      holder = docker.inspectServiceCmd(service).exec();
    } catch (NotFoundException e) {
      elector.release(null);
      return false;
    }
    LeaseElector.Decision d = elector.release(record(holder.getSpec().getLabels()));
    if (d == null) {
      return false;
    }
    boolean taken = write(holder, d.write());
    elector.written(taken, started);
    return taken; // not taken: another wrote first, and the record is not this candidate's any more
  }

  /** Until when this candidate leads by its last round (its clock), {@code Long.MIN_VALUE} when it does not. */
  public long leaderUntil() {
    return elector.leaderUntil();
  }

  /** Why the last round decided as it did (e.g. "take over from X, which has ended"). */
  public String lastWhy() {
    return lastWhy;
  }

  /** The holder as last read (empty: none). */
  public String holder() {
    return elector.holder();
  }

  /** Whether this candidate leads now (by its last round). */
  public boolean leads() {
    return elector.leads(clock.getAsLong());
  }

  /** The fencing token of the current leadership. */
  public long token() {
    return elector.token();
  }

  public long renewEvery() {
    return elector.renewEvery();
  }

  private boolean write(Service holder, LeaseElector.Record r) {
    Map<String, String> labels = new HashMap<>();
    if (holder != null && holder.getSpec().getLabels() != null) {
      labels.putAll(holder.getSpec().getLabels());
    }
    labels.putAll(labels(r));
    try {
      if (holder == null) {
        docker.createServiceCmd(new ServiceSpec().withName(service).withLabels(labels)
            .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(0)))
            .withTaskTemplate(new TaskSpec().withContainerSpec(new ContainerSpec().withImage(image)))).exec();
      } else {
        docker.updateServiceCmd(holder.getId(), holder.getSpec().withLabels(labels))
            .withVersion(holder.getVersion().getIndex()).exec();
      }
      return true;
    } catch (ConflictException e) {
      return false; // another candidate made the holder first
    } catch (InternalServerErrorException e) {
      if (String.valueOf(e.getMessage()).contains(OUT_OF_SEQUENCE)) {
        return false; // another candidate wrote since this one read
      }
      throw e;
    }
  }

  static Map<String, String> labels(LeaseElector.Record r) {
    return Map.of(LABEL + "holder", r.holder(), LABEL + "renewals", Long.toString(r.renewals()),
        LABEL + "durationMillis", Long.toString(r.durationMillis()), LABEL + "transitions", Long.toString(r.transitions()));
  }

  /** The record in a holder's labels; null when they hold none (or not a whole one). */
  static LeaseElector.Record record(Map<String, String> labels) {
    if (labels == null || !labels.containsKey(LABEL + "holder")) {
      return null;
    }
    try {
      return new LeaseElector.Record(labels.get(LABEL + "holder"), Long.parseLong(labels.get(LABEL + "renewals")),
          Long.parseLong(labels.get(LABEL + "durationMillis")), Long.parseLong(labels.get(LABEL + "transitions")));
    } catch (NumberFormatException | NullPointerException e) {
      throw new IllegalStateException("the lease labels are not a lease record: " + labels, e);
    }
  }
}

package io.pgherd.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.pgherd.api.RecloneStatus;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The members of a cluster the operator cloned again on its own, and why — each member's last one,
 * in {@code state/NAME.reclones.json} beside the cluster's state, so that an operator that starts
 * again or takes over (a Swarm's standby replica, which restores the state) still says it.
 */
public final class Reclones {
  private final Home home;
  private final String cluster;
  private static final com.fasterxml.jackson.databind.ObjectMapper LENIENT = Home.JSON.copy()
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final Map<String, RecloneStatus> byMember;

  /**
   * The record as stored (none yet: empty). It only feeds the status: one that cannot be read is
   * said to {@code warn} and started again empty, rather than stopping the cluster's passes.
   */
  public Reclones(Home home, String cluster, Consumer<String> warn) {
    this.home = home;
    this.cluster = cluster;
    this.byMember = new TreeMap<>();
    Home.readString(home.reclonesFile(cluster)).ifPresent(s -> {
      try {
        Map<String, RecloneStatus> read = LENIENT.readValue(s, new TypeReference<Map<String, RecloneStatus>>() { });
        if (read != null) {
          read.forEach((member, reclone) -> {
            if (member != null && reclone != null) {
              byMember.put(member, reclone);
            }
          });
        }
      } catch (IOException e) {
        warn.accept("the re-clone record " + home.reclonesFile(cluster) + " cannot be read (" + e.getMessage()
            + "): started again empty");
      }
    });
  }

  /** Member {@code member}'s last re-clone, if it had one. */
  public synchronized Optional<RecloneStatus> last(String member) {
    return Optional.ofNullable(byMember.get(member));
  }

  /**
   * Records {@code member}'s re-clone before it is carried out: stored durably (on a Swarm, in the
   * Swarm too, or this throws and the re-clone waits for the next pass).
   */
  public synchronized void record(String member, RecloneStatus reclone) {
    byMember.put(member, reclone);
    store();
    home.durableWritten();
  }

  /** Forgets the members not in {@code members} (scaled in, or replaced). */
  public synchronized void retain(Collection<String> members) {
    if (byMember.keySet().retainAll(members)) {
      store();
    }
  }

  private void store() {
    home.createRoot();
    home.writeJson(home.reclonesFile(cluster), byMember);
  }
}

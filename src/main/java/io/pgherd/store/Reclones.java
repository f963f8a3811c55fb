package io.pgherd.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.pgherd.api.RecloneStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The members of a cluster the operator cloned again on its own, and why — each member's last one,
 * in {@code state/NAME.reclones.json} beside the cluster's state, so that an operator that starts
 * again or takes over (a Swarm's standby replica, which restores the state) still says it.
 */
public final class Reclones {
  private final Home home;
  private final String cluster;
  private final Map<String, RecloneStatus> byMember;

  /** The record as stored (none yet: empty). */
  public Reclones(Home home, String cluster) {
    this.home = home;
    this.cluster = cluster;
    this.byMember = new TreeMap<>(Home.readString(home.reclonesFile(cluster)).map(s -> {
      try {
        return Home.JSON.readValue(s, new TypeReference<Map<String, RecloneStatus>>() { });
      } catch (IOException e) {
        throw new UncheckedIOException("corrupt re-clone record " + home.reclonesFile(cluster), e);
      }
    }).orElse(Map.of()));
  }

  /** Member {@code member}'s last re-clone, if it had one. */
  public synchronized Optional<RecloneStatus> last(String member) {
    return Optional.ofNullable(byMember.get(member));
  }

  /** Records {@code member}'s re-clone (stored before it is carried out). */
  public synchronized void record(String member, RecloneStatus reclone) {
    byMember.put(member, reclone);
    store();
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

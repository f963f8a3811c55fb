package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Config;
import io.pgherd.docker.EngineCalls;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which node each named volume lives on, kept in the Swarm itself: a manager cannot list another
 * node's volumes, and a member's service is removed and made again (a new spec, a rejoin) while
 * its data stays where it was. One Swarm config per volume ({@code pgherd-volume.NAME}), its
 * labels the volume's own and the node's id ({@link #LABEL_NODE}); configs, not secrets, because
 * nothing in them is secret and they can be read back. Written when a member is first placed,
 * before any data exists there (as a volume on one engine is made before its container).
 */
final class VolumeNodes {
  static final String PREFIX = "pgherd-volume.";
  static final String LABEL_NODE = "io.pgherd.node";
  static final String LABEL_VOLUME = "io.pgherd.volume";
  /** The image of the service that made it: present on its node, it runs the task that empties it. */
  static final String LABEL_IMAGE = "io.pgherd.image";

  private final DockerClient client;
  private final EngineCalls calls;

  VolumeNodes(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  /** The node the volume lives on, if it is known. */
  Optional<String> node(String volume) {
    return find(Map.of(LABEL_VOLUME, volume)).stream().findFirst().map(c -> Configs.labels(c).get(LABEL_NODE));
  }

  /** The image of the service the volume was made for, if recorded. */
  Optional<String> image(String volume) {
    return find(Map.of(LABEL_VOLUME, volume)).stream().findFirst().map(c -> Configs.labels(c).get(LABEL_IMAGE));
  }

  /** The volumes whose labels hold {@code labelKey=labelValue}, with their nodes. */
  Map<String, String> volumes(String labelKey, String labelValue) {
    Map<String, String> out = new HashMap<>();
    for (Config c : find(Map.of(labelKey, labelValue))) {
      Map<String, String> l = Configs.labels(c);
      if (l.containsKey(LABEL_VOLUME)) {
        out.put(l.get(LABEL_VOLUME), l.get(LABEL_NODE));
      }
    }
    return out;
  }

  /** Records that {@code volume} (with its labels) lives on {@code node}; a record made first stays. */
  void record(String volume, String node, String image, Map<String, String> labels) {
    Map<String, String> l = new HashMap<>(labels);
    l.put(LABEL_IMAGE, image);
    l.put(LABEL_VOLUME, volume);
    l.put(LABEL_NODE, node);
    try {
      calls.call(() -> client.createConfigCmd().withName(PREFIX + volume).withLabels(l)
          .withData(node.getBytes(StandardCharsets.UTF_8)).exec());
    } catch (ConflictException e) {
      // recorded already (by an earlier pass, or another operator): the first record holds
    }
  }

  /** Forgets the volume (its data on the node is not touched). */
  void forget(String volume) {
    for (Config c : find(Map.of(LABEL_VOLUME, volume))) {
      try {
        calls.call(() -> {
          client.removeConfigCmd(c.getId()).exec();
          return null;
        });
      } catch (NotFoundException e) {
        // gone already
      }
    }
  }

  private List<Config> find(Map<String, String> labels) {
    List<String> filters = labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    return calls.call(() -> client.listConfigsCmd().withFilters(Map.of("label", filters)).exec());
  }

}

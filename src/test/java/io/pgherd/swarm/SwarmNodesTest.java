package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.SwarmNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwarmNodesTest {
  private static SwarmNode node(String json) throws Exception {
    return new ObjectMapper().readValue(json, SwarmNode.class);
  }

  @Test
  void theRaftLeaderAndTheReadyNodesAsTheEngineListsThem() throws Exception {
    SwarmNodes nodes = SwarmNodes.of(List.of(
        node("{\"ID\":\"a\",\"Status\":{\"State\":\"ready\"},\"ManagerStatus\":{\"Leader\":false}}"),
        node("{\"ID\":\"b\",\"Status\":{\"State\":\"ready\"},\"ManagerStatus\":{\"Leader\":true}}"),
        node("{\"ID\":\"c\",\"Status\":{\"State\":\"down\"},\"ManagerStatus\":{}}")));
    assertThat(nodes.raftLeader()).isEqualTo("b");
    assertThat(nodes.ready()).containsExactlyInAnyOrder("a", "b");
    assertThat(nodes.everyNodeReady()).isFalse();

    SwarmNodes electing = SwarmNodes.of(List.of(node("{\"ID\":\"a\",\"Status\":{\"State\":\"ready\"}}"),
        node("{\"ID\":\"w\",\"Status\":{\"State\":\"ready\"}}")));
    assertThat(electing.raftLeader()).as("no leader while the managers elect one").isNull();
    assertThat(electing.everyNodeReady()).isTrue();
  }
}

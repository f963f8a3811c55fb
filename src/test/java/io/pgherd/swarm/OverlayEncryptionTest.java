package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.model.TaskState;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The encryption probe's verdict from its tasks' end states, and its setting. */
class OverlayEncryptionTest {
  @Test
  void encryptedOnlyWhenATaskOnEveryNodeReachedAllTheOthers() {
    OverlayEncryption.Verdict all = OverlayEncryption.judge(3,
        List.of(TaskState.COMPLETE, TaskState.COMPLETE, TaskState.COMPLETE), Arrays.asList(null, null, null));
    assertThat(all.encrypt()).isTrue();
    assertThat(all.why()).isEqualTo("an encrypted overlay carried traffic between all 3 nodes");

    OverlayEncryption.Verdict none = OverlayEncryption.judge(3,
        List.of(TaskState.FAILED, TaskState.FAILED, TaskState.COMPLETE),
        Arrays.asList("task: non-zero exit (1)", "task: non-zero exit (1)", null));
    assertThat(none.encrypt()).isFalse();
    assertThat(none.why()).startsWith("an encrypted overlay carried no traffic between the nodes (1 of 3 probe tasks"
        + " reached every node; failed (task: non-zero exit (1)))").endsWith("use spec.tls");
  }

  @Test
  void aNodeThatRanNoTaskOrATaskRejectedIsNoProof() {
    assertThat(OverlayEncryption.judge(3, List.of(TaskState.COMPLETE, TaskState.COMPLETE), Arrays.asList(null, null))
        .encrypt()).as("a node whose task never ran").isFalse();
    OverlayEncryption.Verdict rejected = OverlayEncryption.judge(2, List.of(TaskState.COMPLETE, TaskState.REJECTED),
        Arrays.asList(null, "No such image: pgherd/haproxy:2.6"));
    assertThat(rejected.encrypt()).isFalse();
    assertThat(rejected.why()).contains("rejected (No such image: pgherd/haproxy:2.6)");
  }

  @Test
  void theSettingSkipsTheProbeAndABadOneIsRefused() {
    assertThat(new OverlayEncryption(null, null, "off").verdict())
        .isEqualTo(new OverlayEncryption.Verdict(false, OverlayEncryption.ENV + "=off"));
    assertThat(new OverlayEncryption(null, null, " ON ").verdict().encrypt()).isTrue();
    assertThatThrownBy(() -> new OverlayEncryption(null, null, "yes")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(OverlayEncryption.ENV + ": must be auto, on or off, got 'yes'");
  }
}

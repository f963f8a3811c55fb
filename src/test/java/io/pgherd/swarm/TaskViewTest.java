package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import com.github.dockerjava.api.model.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which of a service's tasks stands for it, and in which of Docker's container states (pure). */
class TaskViewTest {
  private static Task task(String id, String created, TaskState desired, TaskState state, String err) {
    return new Task().withId(id).withCreatedAt(created).withDesiredState(desired)
        .withStatus(new TaskStatus().withState(state).withErr(err).withTimestamp("2026-12-06T22:00:01.5Z"));
  }

  @Test
  void theNewestTaskMeantToRunStandsForTheServiceElseTheNewestOfAll() {
    Task old = task("old", "2026-12-06T21:00:00Z", TaskState.SHUTDOWN, TaskState.SHUTDOWN, null);
    Task now = task("now", "2026-12-06T21:30:00Z", TaskState.RUNNING, TaskState.STARTING, null);
    Task failedLater = task("failed", "2026-12-06T21:40:00Z", TaskState.SHUTDOWN, TaskState.FAILED, "exit 1");
    assertThat(TaskView.current(List.of(old, now, failedLater))).get().extracting(Task::getId).isEqualTo("now");
    assertThat(TaskView.current(List.of(old, failedLater))).get().extracting(Task::getId).isEqualTo("failed");
    assertThat(TaskView.current(List.of())).isEmpty();
  }

  @Test
  void aTaskAnUpdateHoldsReadyUntilTheOldOneStopsIsTheServicesNewTaskOnItsWay() {
    // a forced update (a start): swarm's updater makes the new task with desired state ready, shuts the old one
    // down, then tells the new one to run; seen in between, it must count as on its way, or a pass starts the
    // service again, replacing it before it runs (forever, one new task a pass)
    Task old = task("old", "2026-12-06T21:00:00Z", TaskState.SHUTDOWN, TaskState.SHUTDOWN, null);
    Task next = task("next", "2026-12-06T21:30:00Z", TaskState.READY, TaskState.READY, null);
    assertThat(TaskView.current(List.of(next, old))).get().extracting(Task::getId).isEqualTo("next");
    assertThat(TaskView.underWay(next)).isTrue();
    assertThat(TaskView.state(Optional.of(next))).isEqualTo("created");
    assertThat(TaskView.underWay(task("t", null, TaskState.SHUTDOWN, TaskState.READY, null))).isFalse();
  }

  @Test
  void dockersStateForEachTaskState() {
    assertThat(TaskView.state(Optional.empty())).isEqualTo("created");
    assertThat(TaskView.state(Optional.of(task("t", null, TaskState.RUNNING, TaskState.PENDING, null)))).isEqualTo("created");
    assertThat(TaskView.state(Optional.of(task("t", null, TaskState.RUNNING, TaskState.RUNNING, null)))).isEqualTo("running");
    assertThat(TaskView.state(Optional.of(task("t", null, TaskState.SHUTDOWN, TaskState.RUNNING, null)))).isEqualTo("removing");
    assertThat(TaskView.state(Optional.of(task("t", null, TaskState.RUNNING, TaskState.FAILED, null)))).isEqualTo("exited");
    assertThat(TaskView.state(Optional.of(task("t", null, TaskState.SHUTDOWN, TaskState.COMPLETE, null)))).isEqualTo("exited");
    assertThat(TaskView.state(Optional.of(task("t", null, TaskState.RUNNING, TaskState.REJECTED, null)))).isEqualTo("exited");
  }

  @Test
  void aTasksAddressOnANetworkFromItsAttachmentsAsTheEngineSendsThem() {
    Task t = new Task().withId("x"); // docker-java keeps what it does not model in the raw values, as the engine sent it
    com.github.dockerjava.api.model.DockerObjectAccessor.overrideRawValue(t, "NetworksAttachments", List.of(
        Map.of("Network", Map.of("Spec", Map.of("Name", "pgherd-control")), "Addresses", List.of("10.0.9.4/24")),
        Map.of("Network", Map.of("Spec", Map.of("Name", "pgherd-demo")), "Addresses", List.of("10.0.1.5/24"))));
    assertThat(TaskView.address(t, "pgherd-demo")).contains("10.0.1.5");
    assertThat(TaskView.address(t, "pgherd-other")).isEmpty();
    assertThat(TaskView.address(new Task(), "pgherd-demo")).isEmpty();
  }

  @Test
  void theStatusSaysWhyAndWhenFromSwarmsOwnWords() {
    Task pending = task("t", null, TaskState.RUNNING, TaskState.PENDING, null);
    pending.getStatus().withMessage("pending task scheduling");
    assertThat(TaskView.status(Optional.of(pending))).isEqualTo("pending: pending task scheduling");
    assertThat(TaskView.status(Optional.of(task("t", null, TaskState.RUNNING, TaskState.REJECTED, "No such image: x"))))
        .isEqualTo("rejected: No such image: x");
    assertThat(TaskView.status(Optional.empty())).isEqualTo("no task");
    Task running = task("t", null, TaskState.RUNNING, TaskState.RUNNING, null);
    assertThat(TaskView.runs(running)).isTrue();
    assertThat(TaskView.since(running)).contains(Instant.parse("2026-12-06T22:00:01.5Z"));
  }
}

package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.ServiceGlobalModeOptions;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeAvailability;
import com.github.dockerjava.api.model.SwarmNodeState;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.docker.EngineCalls;
import io.pgherd.model.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether this Swarm's overlay networks can be encrypted (IPsec between the nodes, Docker's
 * {@code --opt encrypted}). Docker makes an encrypted overlay even where the kernel lacks what it
 * takes — the ESP transform {@code rfc4106(gcm(aes))}, as on the machines this was built on — and
 * then the network silently carries nothing between nodes. So it is tried, once per operator:
 * a throwaway encrypted overlay and a global one-shot service on it, one task per ready node,
 * each listening and reaching every other over the overlay; encrypted only when every task
 * reached all ({@value #PROBE}, a few seconds; ~{@value #WINDOW_S} s when traffic does not pass).
 * The setting {@code PGHERD_SWARM_ENCRYPTION=auto|on|off} (env of the operator) skips the probe.
 */
final class OverlayEncryption {
  static final String PROBE = "pgherd-ipsec-probe";
  public static final String ENV = "PGHERD_SWARM_ENCRYPTION";
  /** How long each task tries to reach the others. */
  static final int WINDOW_S = 20;
  static final Duration PATIENCE = Duration.ofSeconds(WINDOW_S + 40);

  /** Whether new overlays are encrypted, and why (said in status for a network that is not). */
  record Verdict(boolean encrypt, String why) {}

  private final DockerClient client;
  private final EngineCalls calls;
  private final String setting;
  private Verdict verdict;

  OverlayEncryption(DockerClient client, EngineCalls calls, String setting) {
    this.client = client;
    this.calls = calls;
    this.setting = setting == null || setting.isBlank() ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
    if (!List.of("auto", "on", "off").contains(this.setting)) {
      throw new IllegalArgumentException(ENV + ": must be auto, on or off, got '" + setting + "'");
    }
  }

  /** The verdict, found out the first time it is asked for (the probe blocks up to {@link #PATIENCE}). */
  synchronized Verdict verdict() {
    if (verdict == null) {
      verdict = switch (setting) {
        case "on" -> new Verdict(true, ENV + "=on");
        case "off" -> new Verdict(false, ENV + "=off");
        default -> probe();
      };
    }
    return verdict;
  }

  private Verdict probe() {
    List<SwarmNode> nodes = calls.call(() -> client.listSwarmNodesCmd().exec()).stream()
        .filter(n -> n.getStatus() != null && n.getStatus().getState() == SwarmNodeState.READY)
        .filter(n -> n.getSpec() == null || n.getSpec().getAvailability() == SwarmNodeAvailability.ACTIVE).toList();
    if (nodes.size() < 2) {
      return new Verdict(false, "not tried: encryption is between nodes, and " + nodes.size() + " node is ready");
    }
    remove();
    try {
      calls.call(() -> client.createNetworkCmd().withName(PROBE).withDriver("overlay")
          .withOptions(Map.of("encrypted", "")).withLabels(Map.of(Names.LABEL_COMPONENT, "probe")).exec());
      calls.call(() -> client.createServiceCmd(spec(nodes.size())).exec());
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      List<Task> tasks = List.of();
      while (System.nanoTime() < deadline) {
        tasks = calls.call(() -> client.listTasksCmd().withServiceFilter(PROBE).exec());
        if (tasks.size() >= nodes.size() && tasks.stream().allMatch(OverlayEncryption::ended)) {
          break;
        }
        Thread.sleep(500);
      }
      return judge(nodes.size(), tasks.stream().map(t -> t.getStatus() == null ? null : t.getStatus().getState()).toList(),
          tasks.stream().map(t -> t.getStatus() == null ? null : t.getStatus().getErr()).toList());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Verdict(false, "not tried: interrupted");
    } catch (RuntimeException e) {
      return new Verdict(false, "the probe could not run: " + e.getMessage());
    } finally {
      try {
        remove();
      } catch (RuntimeException e) {
        System.err.println("warning: the encryption probe's network " + PROBE + " is left (removed before the next"
            + " probe): " + e.getMessage());
      }
    }
  }

  /** The verdict from the probe tasks' end states (one per node expected): every one complete, or why not. */
  static Verdict judge(int nodes, List<TaskState> states, List<String> errors) {
    int complete = 0;
    List<String> why = new ArrayList<>();
    for (int i = 0; i < states.size(); i++) {
      TaskState s = states.get(i);
      if (s == TaskState.COMPLETE) {
        complete++;
      } else {
        String err = i < errors.size() ? errors.get(i) : null;
        why.add((s == null ? "unknown" : s.name().toLowerCase(Locale.ROOT)) + (err == null ? "" : " (" + err + ")"));
      }
    }
    if (complete >= nodes && why.isEmpty()) {
      return new Verdict(true, "an encrypted overlay carried traffic between all " + nodes + " nodes");
    }
    return new Verdict(false, "an encrypted overlay carried no traffic between the nodes (" + complete + " of " + nodes
        + " probe tasks reached every node" + (why.isEmpty() ? "" : "; " + String.join(", ", why.stream().distinct().toList()))
        + "): the kernel may lack IPsec's rfc4106(gcm(aes)) or ESP may be filtered; use spec.tls");
  }

  private static boolean ended(Task t) {
    TaskState s = t.getStatus() == null ? null : t.getStatus().getState();
    return s == TaskState.COMPLETE || s == TaskState.FAILED || s == TaskState.REJECTED || s == TaskState.SHUTDOWN;
  }

  /**
   * One task per node: listens (noting who reached it), reaches every task it finds under
   * tasks.NAME (noting whom it reached), and ends well once it reached {@code n} tasks and was
   * reached by {@code n} — so none ends before the others have reached it — or fails after the window.
   */
  private static ServiceSpec spec(int n) {
    String script = "socat TCP-LISTEN:7999,fork,reuseaddr SYSTEM:'echo ok; touch /tmp/from.$SOCAT_PEERADDR' & "
        + "end=$(( $(date +%s) + " + WINDOW_S + " )); "
        + "while :; do "
        + "for p in $(getent ahostsv4 tasks." + PROBE + " | awk '{print $1}' | sort -u); do "
        + "[ -e /tmp/to.$p ] || { [ \"$(timeout 2 socat -T1 - TCP:$p:7999,connect-timeout=1 </dev/null 2>/dev/null)\" = ok ]"
        + " && touch /tmp/to.$p; }; "
        + "done; "
        + "to=$(ls /tmp | grep -c '^to\\.'); from=$(ls /tmp | grep -c '^from\\.'); "
        + "if [ $to -ge " + n + " ] && [ $from -ge " + n + " ]; then exit 0; fi; "
        + "if [ $(date +%s) -ge $end ]; then echo \"reached $to tasks, reached by $from, " + n + " expected\"; exit 1; fi; "
        + "sleep 0.5; done";
    return new ServiceSpec().withName(PROBE).withLabels(Map.of(Names.LABEL_COMPONENT, "probe"))
        .withMode(new ServiceModeConfig().withGlobal(new ServiceGlobalModeOptions()))
        .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR))
        .withNetworks(List.of(new NetworkAttachmentConfig().withTarget(PROBE)))
        .withTaskTemplate(new TaskSpec()
            .withContainerSpec(new ContainerSpec().withImage(Names.LB_IMAGE).withUser("0")
                .withCommand(List.of("sh", "-c", script)))
            .withRestartPolicy(new ServiceRestartPolicy().withCondition(ServiceRestartCondition.NONE)));
  }

  private void remove() {
    try {
      calls.call(() -> {
        client.removeServiceCmd(PROBE).exec();
        return null;
      });
      // the tasks' endpoints leave the network a moment after the service
      for (int i = 0; i < 40 && !calls.call(() -> client.listTasksCmd().withServiceFilter(PROBE).exec()).isEmpty(); i++) {
        Thread.sleep(250);
      }
    } catch (NotFoundException e) {
      // none
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (int i = 0; ; i++) {
      try {
        calls.call(() -> {
          client.removeNetworkCmd(PROBE).exec();
          return null;
        });
        return;
      } catch (NotFoundException e) {
        return;
      } catch (RuntimeException e) {
        if (i == 20) {
          throw e;
        }
        try {
          Thread.sleep(500); // still in use by a task's endpoint: a moment
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}

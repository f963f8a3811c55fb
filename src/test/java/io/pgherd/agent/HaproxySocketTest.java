package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load balancer's agent's way to HAProxy's admin socket, against a unix socket that answers as HAProxy does. */
class HaproxySocketTest {

  /** A one-connection-per-command server: reads the command line, answers, closes (or, silent, never answers). */
  private static Thread serve(ServerSocketChannel server, List<String> received, boolean silent) {
    Thread t = new Thread(() -> {
      while (true) {
        try (SocketChannel c = server.accept()) {
          ByteBuffer in = ByteBuffer.allocate(1024);
          StringBuilder line = new StringBuilder();
          while (line.indexOf("\n") < 0 && c.read(in) > 0) {
            line.append(new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII));
            in.clear();
          }
          received.add(line.toString());
          if (silent) {
            Thread.sleep(5000);
          } else {
            c.write(ByteBuffer.wrap(("# answer to " + line.toString().strip() + "\n\n").getBytes(StandardCharsets.US_ASCII)));
          }
        } catch (IOException | InterruptedException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void eachCommandGoesOnAConnectionOfItsOwnAndItsAnswerIsReadToTheEnd(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("admin.sock");
    List<String> received = new CopyOnWriteArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      serve(server, received, false);
      HaproxySocket haproxy = new HaproxySocket(socket, 2000);

      assertThat(haproxy.ask("show stat")).isEqualTo("# answer to show stat\n\n");
      assertThat(haproxy.ask("set server rw/demo-1 state maint")).isEqualTo("# answer to set server rw/demo-1 state maint\n\n");
      assertThat(received).containsExactly("show stat\n", "set server rw/demo-1 state maint\n");
    }
  }

  @Test
  void onlyCommandsOfThePgherdFormArePassedOnAndASilentSocketTimesOut(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("admin.sock");
    List<String> received = new CopyOnWriteArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      serve(server, received, true);
      HaproxySocket haproxy = new HaproxySocket(socket, 300);

      assertThatThrownBy(() -> haproxy.ask("show stat; shutdown sessions server rw/x"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an admin socket command");
      assertThatThrownBy(() -> haproxy.ask("set server rw/demo-1 addr 10.0.0.1"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(received).isEmpty();
      assertThatThrownBy(() -> haproxy.ask("show info")).isInstanceOf(IOException.class)
          .hasMessage("HAProxy did not finish answering 'show info' within 300 ms");
    }
    assertThatThrownBy(() -> new HaproxySocket(dir.resolve("none.sock"), 300).ask("show info"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void theCommandsOfACallAreItsBodysNonEmptyLinesAtMostSixteen() throws Exception {
    assertThat(LbAgent.commands(new ByteArrayInputStream("show stat\n\n set server ro/demo-2 health up \n"
        .getBytes(StandardCharsets.UTF_8)))).containsExactly("show stat", "set server ro/demo-2 health up");
    assertThatThrownBy(() -> LbAgent.commands(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("1 to 16 commands, one per line, not 0");
    assertThatThrownBy(() -> LbAgent.commands(new ByteArrayInputStream("show info\n".repeat(17)
        .getBytes(StandardCharsets.UTF_8)))).isInstanceOf(IllegalArgumentException.class);
  }
}

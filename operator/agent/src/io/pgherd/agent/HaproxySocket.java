package io.pgherd.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * HAProxy's admin socket (its CLI, a unix socket in the container): one command per connection
 * (non-interactive mode: HAProxy answers and closes), its answer read to the end within a time
 * limit.
 */
final class HaproxySocket {
  /** Bounds an answer: {@code show stat} of a few servers is kilobytes. */
  static final int MAX_ANSWER = 1 << 20;

  private final Path socket;
  private final long timeoutMillis;

  HaproxySocket(Path socket, long timeoutMillis) {
    this.socket = socket;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Sends {@code command} and returns HAProxy's answer. Only commands of the form pgherd sends
   * (lower-case words, slashes, digits, dashes, underscores, spaces) are passed on.
   */
  String ask(String command) throws IOException {
    if (!command.matches("[a-z][a-z /_0-9-]*")) {
      throw new IllegalArgumentException("not an admin socket command pgherd sends: '" + command + "'");
    }
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = Selector.open()) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ch.configureBlocking(false);
      ch.register(selector, SelectionKey.OP_READ);
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(8192);
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new IOException("HAProxy did not finish answering '" + command + "' within " + timeoutMillis + " ms");
        }
        selector.select(left);
        selector.selectedKeys().clear();
        int n = ch.read(in);
        if (n < 0) {
          return answer.toString(StandardCharsets.UTF_8);
        }
        answer.write(in.array(), 0, in.position());
        in.clear();
        if (answer.size() > MAX_ANSWER) {
          throw new IOException("HAProxy's answer to '" + command + "' is larger than " + MAX_ANSWER + " bytes");
        }
      }
    }
  }
}

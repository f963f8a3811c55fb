package io.pgherd.agent;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One session with the local PostgreSQL over its unix socket, speaking just enough of the
 * frontend/backend protocol (version 3.0) for the agent: the startup as {@code postgres} with peer
 * authentication (no password exists in the agent), and simple queries whose rows come back as
 * text. A query that takes longer than its timeout closes the session (the caller opens a new one).
 * Not thread-safe: one caller at a time ({@link LocalSession} serialises them).
 */
final class PgWire implements AutoCloseable {
  private static final int PROTOCOL_3_0 = 196608;
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgherd-agent-sql-watchdog");
    t.setDaemon(true);
    return t;
  });

  /** An ErrorResponse from the server, or a protocol failure: the message names what went wrong. */
  static final class SqlError extends IOException {
    private static final long serialVersionUID = 1L;
    final String sqlState;

    SqlError(String message, String sqlState) {
      super(message);
      this.sqlState = sqlState;
    }
  }

  private final SocketChannel channel;
  private final DataInputStream in;
  private volatile boolean timedOut;

  private PgWire(SocketChannel channel) {
    this.channel = channel;
    this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 8192));
  }

  /**
   * Connects to the socket in {@code socketDir} for {@code port} and logs in as user {@code user}
   * to database {@code database}; {@code settings} are sent as startup parameters (GUCs such as
   * statement_timeout, application_name).
   */
  static PgWire connect(Path socketDir, int port, String user, String database, Map<String, String> settings,
      long timeoutMillis) throws IOException {
    Path socket = socketDir.resolve(".s.PGSQL." + port);
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    PgWire wire = new PgWire(ch);
    ScheduledFuture<?> watchdog = WATCHDOG.schedule(wire::expire, timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      Map<String, String> params = new LinkedHashMap<>();
      params.put("user", user);
      params.put("database", database);
      params.putAll(settings);
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      writeInt(body, PROTOCOL_3_0);
      for (Map.Entry<String, String> p : params.entrySet()) {
        writeCString(body, p.getKey());
        writeCString(body, p.getValue());
      }
      body.write(0);
      wire.send(null, body.toByteArray());
      wire.readUntilReady(null);
      return wire;
    } catch (IOException e) {
      wire.close();
      if (wire.timedOut) {
        throw new IOException("no answer from " + socket + " within " + timeoutMillis + " ms", e);
      }
      throw e;
    } catch (RuntimeException e) {
      wire.close();
      throw e;
    } finally {
      watchdog.cancel(false);
    }
  }

  /** Runs one simple query (one statement) and returns its rows, each column as text or null. */
  List<String[]> query(String sql, long timeoutMillis) throws IOException {
    ScheduledFuture<?> watchdog = WATCHDOG.schedule(this::expire, timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      writeCString(body, sql);
      send('Q', body.toByteArray());
      List<String[]> rows = new ArrayList<>();
      readUntilReady(rows);
      return rows;
    } catch (IOException e) {
      close();
      throw timedOut ? new IOException("the query took longer than " + timeoutMillis + " ms: session closed") : e;
    } finally {
      watchdog.cancel(false);
    }
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  private void expire() {
    timedOut = true;
    close();
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing a socket that is already broken: nothing more to release
    }
  }

  private void send(Character type, byte[] body) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((type == null ? 0 : 1) + 4 + body.length);
    if (type != null) {
      buf.put((byte) type.charValue());
    }
    buf.putInt(4 + body.length).put(body).flip();
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
  }

  /** Reads messages up to ReadyForQuery; rows (DataRow) go to {@code rows}; an error is thrown then. */
  private void readUntilReady(List<String[]> rows) throws IOException {
    SqlError error = null;
    while (true) {
      int type = in.read();
      if (type < 0) {
        throw new EOFException("the server closed the connection" + (error == null ? "" : ": " + error.getMessage()));
      }
      int length = in.readInt();
      if (length < 4 || length > 64 << 20) {
        throw new IOException("protocol error: message '" + (char) type + "' of length " + length);
      }
      byte[] body = new byte[length - 4];
      in.readFully(body);
      switch (type) {
        case 'R' -> {
          int code = ByteBuffer.wrap(body).getInt();
          if (code != 0) {
            throw new IOException("the server asks for authentication method " + code
                + "; the agent logs in by peer authentication over the unix socket (pg_hba.conf: local ... peer)");
          }
        }
        case 'E' -> error = error(body);
        case 'D' -> {
          if (rows != null) {
            rows.add(dataRow(body));
          }
        }
        case 'Z' -> {
          if (error != null) {
            throw error;
          }
          return;
        }
        default -> {
          // ParameterStatus, BackendKeyData, RowDescription, CommandComplete, EmptyQuery,
          // NoticeResponse, NotificationResponse: nothing the agent uses
        }
      }
    }
  }

  private static String[] dataRow(byte[] body) {
    ByteBuffer b = ByteBuffer.wrap(body);
    int n = b.getShort() & 0xffff;
    String[] row = new String[n];
    for (int i = 0; i < n; i++) {
      int len = b.getInt();
      if (len >= 0) {
        row[i] = new String(body, b.position(), len, StandardCharsets.UTF_8);
        b.position(b.position() + len);
      }
    }
    return row;
  }

  private static SqlError error(byte[] body) {
    String severity = "ERROR";
    String code = null;
    String message = "";
    int i = 0;
    while (i < body.length && body[i] != 0) {
      char field = (char) body[i++];
      int end = i;
      while (end < body.length && body[end] != 0) {
        end++;
      }
      String value = new String(body, i, end - i, StandardCharsets.UTF_8);
      i = end + 1;
      switch (field) {
        case 'V' -> severity = value;
        case 'C' -> code = value;
        case 'M' -> message = value;
        default -> { }
      }
    }
    return new SqlError(severity + ": " + message + (code == null ? "" : " (SQLSTATE " + code + ")"), code);
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeCString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(b, 0, b.length);
    out.write(0);
  }
}

// bench/WriteProbe.java — a write-availability probe for failover benchmarks (pgherd and Patroni
// are measured with this same program, so their numbers compare).
//
//   java -cp postgresql-42.7.8.jar bench/WriteProbe.java --host 127.0.0.1 --port 5000 \
//        --user postgres --password-file FILE --seconds 40 --out run.csv \
//        [--interval-ms 10] [--fault-at EPOCH_MS] [--db postgres] [--run NAME]
//
// What it does:
//   * creates table probe(run, seq, at, tli, srv) if missing;
//   * every --interval-ms, one autocommit INSERT of (run, seq) stamped on the server with
//     clock_timestamp(), the current timeline (from the WAL file name of pg_current_wal_lsn(), so a
//     standby fails the insert) and the server's address:port;
//   * any error (connect, insert, timeout): drop the connection and reconnect at once (20 ms
//     pause). connectTimeout 1 s, loginTimeout 2 s, socketTimeout 3 s. The seq of an insert whose
//     outcome is unknown is never reused;
//   * per acknowledged insert, a CSV line: seq,client_ms,server_ms,tli,srv (client_ms = client
//     epoch millis when the ack arrived);
//   * after --seconds it stops, reconnects (retrying up to 30 s), reads back this run's rows and
//     counts acknowledged seqs that are missing (lost writes), then prints ONE line on stdout:
//
//   probe run=R acked=N errors=N lost=N unacked_committed=N max_gap_ms=N gap_start=EPOCH_MS timelines=1,2 outage_ms=N fault_to_outage_ms=N
//
//     max_gap_ms: largest gap between consecutive acks (gap_start = the ack opening it);
//     outage_ms:  with --fault-at, the write outage caused by the fault: the largest gap between
//                 consecutive acks among those ending after the fault (= first ack after the
//                 fault minus last ack before it when the fault bites at once; a fault that takes
//                 effect later, e.g. a switchover command, is still measured right); -1 if not
//                 given or no ack on one side; fault_to_outage_ms: from the fault to that gap's
//                 start (how long the fault took to bite; negative if it started before);
//     unacked_committed: rows present whose insert was not acknowledged (outcome unknown to the
//                 client, committed after all);
//     lost=-1 when the read-back failed (exit status 2). The password is read from a file only.
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

public class WriteProbe {
    static final String DDL = "create table if not exists probe(run text, seq bigint,"
            + " at timestamptz default clock_timestamp(), tli int, srv text, primary key(run, seq))";
    // Timeline = first 8 hex digits of the current WAL file name; fails on a standby (good: a
    // write there must count as an error anyway).
    static final String INSERT = "insert into probe(run, seq, tli, srv) values (?, ?,"
            + " ('x'||substr(pg_walfile_name(pg_current_wal_lsn()),1,8))::bit(32)::int,"
            + " host(inet_server_addr())||':'||inet_server_port())"
            + " returning (extract(epoch from at)*1000)::bigint, tli, srv";

    record Ack(long seq, long clientMs, long serverMs, int tli, String srv) {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = parseArgs(argv);
        String url = "jdbc:postgresql://" + req(a, "host") + ":" + req(a, "port") + "/" + a.getOrDefault("db", "postgres");
        Properties props = new Properties();
        props.setProperty("user", req(a, "user"));
        props.setProperty("password", Files.readString(Path.of(req(a, "password-file"))).strip());
        props.setProperty("connectTimeout", "1");   // seconds, TCP connect
        props.setProperty("loginTimeout", "2");     // seconds, whole connection setup (through a proxy too)
        props.setProperty("socketTimeout", "3");    // seconds, any read: a hung insert is abandoned
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", "WriteProbe");
        long seconds = Long.parseLong(req(a, "seconds"));
        long intervalMs = Long.parseLong(a.getOrDefault("interval-ms", "10"));
        long faultAt = Long.parseLong(a.getOrDefault("fault-at", "-1"));
        String run = a.getOrDefault("run", "r" + System.currentTimeMillis());
        Path out = Path.of(req(a, "out"));

        List<Ack> acks = new ArrayList<>();
        long errors = 0, seq = 0;
        long deadline = System.currentTimeMillis() + seconds * 1000;
        Connection conn = null;
        PreparedStatement ins = null;
        boolean ddlDone = false;
        String lastError = null;
        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(out), true)) { // flushed per line: followable live
            csv.println("seq,client_ms,server_ms,tli,srv");
            long next = System.currentTimeMillis();
            while (System.currentTimeMillis() < deadline) {
                sleepUntil(next);
                next = Math.max(next + intervalMs, System.currentTimeMillis()); // no catch-up bursts
                try {
                    if (conn == null) {
                        conn = DriverManager.getConnection(url, props);
                        conn.setAutoCommit(true);
                        if (!ddlDone) {
                            conn.createStatement().execute(DDL);
                            ddlDone = true;
                        }
                        ins = conn.prepareStatement(INSERT);
                    }
                    long s = ++seq; // consumed now: if the outcome is unknown it is never reused
                    ins.setString(1, run);
                    ins.setLong(2, s);
                    try (ResultSet rs = ins.executeQuery()) {
                        rs.next();
                        Ack ack = new Ack(s, System.currentTimeMillis(), rs.getLong(1), rs.getInt(2), rs.getString(3));
                        acks.add(ack);
                        csv.printf("%d,%d,%d,%d,%s%n", ack.seq, ack.clientMs, ack.serverMs, ack.tli, ack.srv);
                    }
                } catch (SQLException e) {
                    errors++;
                    if (!String.valueOf(e.getMessage()).equals(lastError)) { // log each new kind of error once
                        lastError = String.valueOf(e.getMessage());
                        System.err.printf("probe %d error: %s%n", System.currentTimeMillis(), lastError.lines().findFirst().orElse(""));
                    }
                    closeQuietly(conn);
                    conn = null;
                    Thread.sleep(20); // reconnect at once
                    next = System.currentTimeMillis();
                }
            }
        } finally {
            closeQuietly(conn);
        }

        // Read back this run's rows (retrying for up to 30 s: the cluster may still be failing over).
        Set<Long> present = readBack(url, props, run, 30_000);
        long lost = -1, unackedCommitted = -1;
        if (present != null) {
            Set<Long> ackedSeqs = new HashSet<>();
            lost = 0;
            for (Ack k : acks) {
                ackedSeqs.add(k.seq);
                if (!present.contains(k.seq)) {
                    lost++;
                    System.err.printf("probe lost seq=%d acked_at=%d tli=%d srv=%s%n", k.seq, k.clientMs, k.tli, k.srv);
                }
            }
            unackedCommitted = present.stream().filter(x -> !ackedSeqs.contains(x)).count();
        }

        // Largest gap between consecutive acks overall, and the largest one ending after the fault.
        long maxGap = 0, gapStart = -1, outage = -1, outageStart = -1;
        boolean ackBeforeFault = !acks.isEmpty() && acks.get(0).clientMs <= faultAt;
        TreeSet<Integer> tlis = new TreeSet<>();
        for (int i = 0; i < acks.size(); i++) {
            Ack k = acks.get(i);
            tlis.add(k.tli);
            if (i == 0) continue;
            long prev = acks.get(i - 1).clientMs, gap = k.clientMs - prev;
            if (gap > maxGap) {
                maxGap = gap;
                gapStart = prev;
            }
            if (faultAt >= 0 && ackBeforeFault && k.clientMs > faultAt && gap > outage) {
                outage = gap;
                outageStart = prev;
            }
        }
        StringBuilder tl = new StringBuilder();
        for (int t : tlis) tl.append(tl.length() == 0 ? "" : ",").append(t);
        System.out.printf("probe run=%s acked=%d errors=%d lost=%d unacked_committed=%d max_gap_ms=%d gap_start=%d timelines=%s outage_ms=%d fault_to_outage_ms=%d%n",
                run, acks.size(), errors, lost, unackedCommitted, maxGap, gapStart, tl.length() == 0 ? "-" : tl,
                outage, outage < 0 ? 0 : outageStart - faultAt);
        System.exit(present == null ? 2 : 0);
    }

    /** All seqs of this run in the table, or null if no connection could be had within timeoutMs. */
    static Set<Long> readBack(String url, Properties props, String run, long timeoutMs) throws InterruptedException {
        long until = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try (Connection c = DriverManager.getConnection(url, props);
                 PreparedStatement q = c.prepareStatement("select seq from probe where run = ?")) {
                q.setString(1, run);
                Set<Long> seqs = new HashSet<>();
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) seqs.add(rs.getLong(1));
                }
                return seqs;
            } catch (SQLException e) {
                if (System.currentTimeMillis() > until) {
                    System.err.println("probe read-back failed: " + e.getMessage());
                    return null;
                }
                Thread.sleep(200);
            }
        }
    }

    static Map<String, String> parseArgs(String[] argv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < argv.length; i += 2) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) usage("bad argument: " + argv[i]);
            m.put(argv[i].substring(2), argv[i + 1]);
        }
        return m;
    }

    static String req(Map<String, String> a, String k) {
        String v = a.get(k);
        if (v == null) usage("missing --" + k);
        return v;
    }

    static void usage(String why) {
        System.err.println("WriteProbe: " + why + "\nusage: --host H --port P --user U --password-file F --seconds S --out CSV"
                + " [--interval-ms 10] [--fault-at EPOCH_MS] [--db postgres] [--run NAME]");
        System.exit(64);
    }

    static void sleepUntil(long t) throws InterruptedException {
        long d = t - System.currentTimeMillis();
        if (d > 0) Thread.sleep(d);
    }

    static void closeQuietly(Connection c) {
        try {
            if (c != null) c.close();
        } catch (SQLException ignored) {
        }
    }
}

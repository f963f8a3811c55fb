package io.pgherd.fake;

import io.pgherd.model.HaproxyConf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cluster's load balancer in the {@link FakeEngine}: HAProxy running the configuration it read
 * at its start or last reload (SIGUSR2, which also clears the servers put in maintenance), and its
 * admin socket as the reconciler uses it: {@code show stat}, with each checked server UP or DOWN as
 * {@link FakePostgres} answers (the read-write listener wants a writable one), and
 * {@code set server PROXY/SERVER state maint|ready|drain}. Called with the engine's lock held.
 */
final class FakeHaproxy {
  private static final Pattern SET_STATE = Pattern.compile("set server (\\w+/[a-z0-9-]+) state (maint|ready|drain)");
  private static final String STAT_HEADER = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,"
      + "econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"
      + "lbtot,tracked,type,rate,rate_lim,rate_max,check_status,";
  private static final int STAT_FIELDS = STAT_HEADER.substring(2).split(",", -1).length;

  private final FakePostgres postgres;

  FakeHaproxy(FakePostgres postgres) {
    this.postgres = postgres;
  }

  /** Its container started: it loads the configuration copied in. */
  void started(FakeContainer lb) {
    lb.loadedConfig = lb.text(HaproxyConf.PATH).orElse("");
    lb.logs.add("[NOTICE] haproxy: loading " + HaproxyConf.PATH);
  }

  /** SIGUSR2: a new worker with the configuration as it is now. */
  void reloaded(FakeContainer lb) {
    lb.maintenance.clear(); // a reload starts a new worker with the servers as configured
    lb.loadedConfig = lb.text(HaproxyConf.PATH).orElse("");
    lb.logs.add("[NOTICE] haproxy: reloading " + HaproxyConf.PATH);
  }

  /** An exec's command line, as the admin socket answers the commands in it. */
  String admin(FakeContainer lb, String command) {
    if (command.contains("show stat")) {
      return showStat(lb);
    }
    Matcher m = SET_STATE.matcher(command);
    while (m.find()) {
      if ("maint".equals(m.group(2))) {
        lb.maintenance.add(m.group(1));
      } else {
        lb.maintenance.remove(m.group(1));
      }
    }
    return "";
  }

  /** {@code show stat} as HAProxy prints it, for the servers of the configuration it loaded (not the file copied in since). */
  private String showStat(FakeContainer lb) {
    StringBuilder out = new StringBuilder(STAT_HEADER).append('\n');
    String proxy = null;
    List<String[]> servers = new ArrayList<>();
    for (String line : lb.loadedConfig.split("\n")) {
      String t = line.strip();
      if (t.startsWith("listen ")) {
        flushProxy(out, proxy, servers);
        proxy = t.substring("listen ".length()).strip();
        servers.clear();
      } else if (proxy != null && t.startsWith("server ")) {
        String[] f = t.split("\\s+");
        String host = f[2].substring(0, f[2].indexOf(':'));
        boolean checked = t.contains(" check");
        String status;
        if (lb.maintenance.contains(proxy + "/" + f[1])) {
          status = "MAINT";
        } else if (!checked) {
          status = "no check";
        } else {
          boolean accepting = postgres.accepting(host);
          status = accepting && (!"rw".equals(proxy) || postgres.writable(host)) ? "UP" : "DOWN";
        }
        servers.add(new String[] {f[1], status});
      }
    }
    flushProxy(out, proxy, servers);
    return out.toString();
  }

  private static void flushProxy(StringBuilder out, String proxy, List<String[]> servers) {
    if (proxy == null) {
      return;
    }
    statRow(out, proxy, "FRONTEND", "OPEN");
    boolean anyUp = false;
    for (String[] s : servers) {
      statRow(out, proxy, s[0], s[1]);
      anyUp |= s[1].equals("UP") || s[1].equals("no check");
    }
    statRow(out, proxy, "BACKEND", anyUp ? "UP" : "DOWN");
  }

  private static void statRow(StringBuilder out, String proxy, String server, String status) {
    String[] f = new String[STAT_FIELDS];
    Arrays.fill(f, "");
    f[0] = proxy;
    f[1] = server;
    f[17] = status;
    out.append(String.join(",", f)).append('\n');
  }
}

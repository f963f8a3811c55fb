package io.pgherd.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.store.Home;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = "List clusters (or one) with a status summary.")
final class GetCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", arity = "0..1", description = "cluster name")
  String name;

  @Option(names = {"-o", "--output"}, description = "yaml | json | table (default)")
  String output = "table";

  @Override
  public Integer call() throws Exception {
    Home h = home.home();
    List<String> names = name == null ? h.clusters() : List.of(name);
    if (name != null) {
      home.config(name);
    }
    if ("table".equals(output)) {
      String fmt = "%-20s %-9s %-6s %-10s %-14s %-22s %s%n";
      System.out.printf(fmt, "NAME", "INSTANCES", "READY", "PHASE", "PRIMARY", "READ-WRITE", "READ-ONLY");
      for (String n : names) {
        var cfg = home.config(n);
        Optional<PostgresClusterStatus> s = h.readStatus(n);
        long ready = s.map(st -> st.getMembers() == null ? 0 : st.getMembers().stream()
            .filter(m -> "running".equals(m.getState()) || "streaming".equals(m.getState())).count()).orElse(0L);
        System.out.printf(fmt, n, cfg.instances(), ready + "/" + cfg.instances(),
            s.map(PostgresClusterStatus::getPhase).orElse("-"), s.map(PostgresClusterStatus::getPrimary).orElse("-"),
            cfg.bindAddress() + ":" + cfg.readWritePort(), cfg.bindAddress() + ":" + cfg.readOnlyPort());
      }
      return 0;
    }
    List<ObjectNode> docs = new ArrayList<>();
    for (String n : names) {
      ObjectNode doc = (ObjectNode) ApplyCommand.YAML.readTree(h.readSpec(n).orElseThrow());
      h.readStatus(n).ifPresent(s -> doc.set("status", Home.JSON.valueToTree(s)));
      docs.add(doc);
    }
    Object out = name != null ? docs.get(0) : docs;
    switch (output) {
      case "json" -> System.out.println(Home.JSON.writeValueAsString(out));
      case "yaml" -> System.out.print(ApplyCommand.YAML.writeValueAsString(out));
      default -> throw new Main.UserError("-o must be yaml, json or table, got '" + output + "'", 2);
    }
    return 0;
  }
}

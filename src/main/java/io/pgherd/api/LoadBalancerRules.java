package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;

/**
 * The rules of {@code spec.loadBalancer}: an IPv4 bind address, two distinct ports (the defaults
 * counted), {@code readOnly} one of all and replicas, and a size for {@code maxReplicaLag}.
 */
final class LoadBalancerRules extends SectionRules {

  LoadBalancerRules(Collector c) {
    super(c);
  }

  void loadBalancer(LoadBalancerSpec lb) {
    if (lb == null) {
      return;
    }
    String bind = lb.getBindAddress();
    if (bind != null && !isIpv4(bind)) {
      c.error("spec.loadBalancer.bindAddress",
          "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got " + quote(bind));
    }
    boolean rwOk = port("spec.loadBalancer.readWritePort", lb.getReadWritePort());
    boolean roOk = port("spec.loadBalancer.readOnlyPort", lb.getReadOnlyPort());
    int rw = lb.getReadWritePort() != null ? lb.getReadWritePort() : ClusterConfig.DEFAULT_READ_WRITE_PORT;
    int ro = lb.getReadOnlyPort() != null ? lb.getReadOnlyPort() : ClusterConfig.DEFAULT_READ_ONLY_PORT;
    if (rwOk && roOk && rw == ro) {
      c.error("spec.loadBalancer.readOnlyPort", "clashes with readWritePort " + rw);
    }
    String readOnly = lb.getReadOnly();
    if (readOnly != null && !readOnly.equals("all") && !readOnly.equals("replicas")) {
      c.error("spec.loadBalancer.readOnly", "must be one of all, replicas, got " + quote(readOnly));
    }
    size("spec.loadBalancer.maxReplicaLag", lb.getMaxReplicaLag());
  }

  boolean port(String path, Integer port) {
    if (port != null && (port < 1 || port > 65535)) {
      c.error(path, "must be between 1 and 65535, got " + port);
      return false;
    }
    return true;
  }
}

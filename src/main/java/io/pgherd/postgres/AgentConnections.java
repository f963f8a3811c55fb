package io.pgherd.postgres;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link MemberAgent.Connector} the operator runs with: one {@link AgentGateway} per member,
 * kept from pass to pass so that its HTTP connection is reused, and replaced when the member is
 * reached elsewhere (a new container, another published port) or the credentials change.
 */
public final class AgentConnections implements MemberAgent.Connector {
  private final Map<String, AgentGateway> gateways = new ConcurrentHashMap<>();

  @Override
  public MemberAgent connect(String member, String host, int port, MemberAgent.Credentials credentials) {
    return gateways.compute(member, (m, kept) -> kept != null && kept.reaches(host, port, credentials) ? kept
        : new AgentGateway(member, host, port, credentials));
  }

  /** One gateway per copy (the load balancer's task on each Swarm node), all answering for {@code member}. */
  @Override
  public MemberAgent connect(String member, String instance, String host, int port, MemberAgent.Credentials credentials) {
    return gateways.compute(member + "@" + instance, (m, kept) -> kept != null && kept.reaches(host, port, credentials)
        ? kept : new AgentGateway(member, host, port, credentials));
  }
}

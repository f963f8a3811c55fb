package io.pgherd.model;

/**
 * The names and labels pgherd gives to what it creates in Docker (DESIGN.md, "What lands in
 * Docker"). Deterministic names are the lock: a 409 on create means "it exists, observe again".
 */
public final class Names {
  public static final String LABEL_CLUSTER = "io.pgherd.cluster";
  public static final String LABEL_MEMBER = "io.pgherd.member";
  public static final String LABEL_COMPONENT = "io.pgherd.component";
  public static final String LABEL_SPEC_HASH = "io.pgherd.spec-hash";
  public static final String COMPONENT_MEMBER = "member";
  public static final String COMPONENT_LB = "lb";
  public static final String LB_IMAGE = "pgherd/haproxy:2.6";

  /** Slots pgherd keeps for its own purposes (e.g. a WAL archiver) start with this prefix. */
  public static final String INTERNAL_SLOT_PREFIX = "pgherd_";

  private Names() {}

  public static String network(String cluster) {
    return "pgherd-" + cluster;
  }

  public static String member(String cluster, int ordinal) {
    return cluster + "-" + ordinal;
  }

  public static String container(String member) {
    return "pgherd-" + member;
  }

  public static String volume(String member) {
    return "pgherd-" + member + "-data";
  }

  public static String loadBalancer(String cluster) {
    return "pgherd-" + cluster + "-lb";
  }

  /**
   * The physical replication slot a member streams through. Slot names may only hold lower-case
   * letters, digits and underscores, so the member name's dashes become underscores: demo-2 →
   * demo_2. Cluster names are [a-z0-9-], so the mapping is one-to-one.
   */
  public static String slot(String member) {
    return member.replace('-', '_');
  }

  /** The ordinal N of member NAME-N. */
  public static int ordinal(String cluster, String member) {
    String prefix = cluster + "-";
    if (!member.startsWith(prefix)) {
      throw new IllegalArgumentException(member + " is not a member of " + cluster);
    }
    try {
      return Integer.parseInt(member.substring(prefix.length()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(member + " is not a member name of " + cluster, e);
    }
  }

  /** True when a slot name is one of pgherd's member slots for this cluster. */
  public static boolean isMemberSlot(String cluster, String slot) {
    String prefix = slot(cluster) + "_";
    if (!slot.startsWith(prefix)) {
      return false;
    }
    String rest = slot.substring(prefix.length());
    return !rest.isEmpty() && rest.chars().allMatch(Character::isDigit);
  }
}

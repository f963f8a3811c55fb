package io.pgherd.model;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;

final class ConfTestSupport {
  private ConfTestSupport() {}

  /** A validated configuration from the body of {@code spec:} (indented by four spaces). */
  static ClusterConfig config(String specBody) {
    String yaml = "apiVersion: pgherd.io/v1\nkind: PostgresCluster\nmetadata:\n  name: demo\nspec:\n" + specBody;
    ValidationResult v = SpecValidator.parse(yaml);
    if (!v.ok()) {
      throw new IllegalArgumentException(v.errors().toString());
    }
    return ClusterConfig.from(v.cluster());
  }
}

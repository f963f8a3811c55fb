package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** A member the operator cloned again on its own, and why ({@code status.members[].lastReclone}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"at", "reason"})
public record RecloneStatus(
    @JsonPropertyDescription("When its container and data volume were removed to be cloned again (ISO-8601).") String at,
    @JsonPropertyDescription("Why, with the values that decided it, e.g. its replication slot invalidated on the primary.")
    String reason) {}

package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The last change of primary, as `status` shows it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"kind", "from", "to", "reason", "startedAt", "completedAt", "timeline"})
public record FailoverStatus(
    @JsonPropertyDescription("failover (automatic), manual failover or switchover.") String kind,
    @JsonPropertyDescription("The member that was primary.") String from,
    @JsonPropertyDescription("The member promoted.") String to,
    @JsonPropertyDescription("What was seen, with the values that decided it.") String reason,
    @JsonPropertyDescription("When the failover was decided (ISO-8601).") String startedAt,
    @JsonPropertyDescription("When the new primary was promoted (ISO-8601).") String completedAt,
    @JsonPropertyDescription("The new primary's timeline.") Long timeline) {}

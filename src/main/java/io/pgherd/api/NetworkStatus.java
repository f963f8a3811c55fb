package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** The cluster's network between hosts (on a Docker Swarm), in {@code status}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "driver", "encrypted", "note"})
public class NetworkStatus {

  @JsonPropertyDescription("The network's name (pgherd-NAME).")
  private String name;

  @JsonPropertyDescription("Its driver: overlay on a Docker Swarm.")
  private String driver;

  @JsonPropertyDescription("Whether the overlay encrypts the traffic between nodes (IPsec).")
  private Boolean encrypted;

  @JsonPropertyDescription("Why it is or is not encrypted (when it is not: spec.tls encrypts the members' connections).")
  private String note;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getDriver() {
    return driver;
  }

  public void setDriver(String driver) {
    this.driver = driver;
  }

  public Boolean getEncrypted() {
    return encrypted;
  }

  public void setEncrypted(Boolean encrypted) {
    this.encrypted = encrypted;
  }

  public String getNote() {
    return note;
  }

  public void setNote(String note) {
    this.note = note;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NetworkStatus n && Objects.equals(name, n.name) && Objects.equals(driver, n.driver)
        && Objects.equals(encrypted, n.encrypted) && Objects.equals(note, n.note);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, driver, encrypted, note);
  }
}

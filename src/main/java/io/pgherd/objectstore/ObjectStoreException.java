package io.pgherd.objectstore;

/** A store operation that failed; the message names the store and the cause, never a secret. */
public class ObjectStoreException extends java.io.IOException {
  public ObjectStoreException(String message) {
    super(message);
  }

  public ObjectStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}

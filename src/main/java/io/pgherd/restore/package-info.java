/**
 * Restores from the backups: a new cluster's first member ({@link io.pgherd.restore.BootstrapRestore},
 * spec.bootstrap.recovery) and a restore in place ({@link io.pgherd.restore.RestoreInPlace}); both
 * restore one member with {@link io.pgherd.restore.MemberRestore}, whose job (plan, stage, start)
 * runs beside the passes in a {@link io.pgherd.restore.Restorer}.
 */
package io.pgherd.restore;

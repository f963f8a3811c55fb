package io.pgherd.backup;

import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TimeZone;
import org.quartz.CronScheduleBuilder;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;

/**
 * The operator's Quartz scheduler: one cron trigger per cluster with {@code spec.backup.schedule}
 * (UTC). A trigger only says "a backup is due, for this scheduled time": the cluster's reconcile
 * pass picks the source and its {@link BackupRunner} takes it, so two backups of a cluster never
 * run at once (a slot that comes while one runs is skipped and logged). The job store is in
 * memory and misfires are dropped ({@code withMisfireHandlingInstructionDoNothing}): a slot
 * missed while the operator was down, or busy, is skipped, not replayed.
 */
public final class BackupScheduler implements AutoCloseable {
  /** Called on Quartz's thread; must return at once. */
  public interface Due {
    void due(String cluster, Instant scheduled);
  }

  private final Scheduler scheduler;
  private final Map<String, String> schedules = new HashMap<>();

  public BackupScheduler(Due due) {
    Properties props = new Properties();
    props.setProperty("org.quartz.scheduler.instanceName", "pgherd-backups");
    props.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    props.setProperty("org.quartz.threadPool.threadCount", "1");
    props.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
    props.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
    props.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    props.setProperty("org.quartz.jobStore.misfireThreshold", "5000");
    try {
      scheduler = new StdSchedulerFactory(props).getScheduler();
      scheduler.setJobFactory((bundle, s) -> new DueJob(due));
      scheduler.start();
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot start the backup scheduler: " + e.getMessage(), e);
    }
  }

  /** The job: tells the cluster a backup is due, with the time it was scheduled for. */
  static final class DueJob implements Job {
    private final Due due;

    DueJob(Due due) {
      this.due = due;
    }

    @Override
    public void execute(JobExecutionContext context) {
      String cluster = context.getJobDetail().getJobDataMap().getString("cluster");
      due.due(cluster, context.getScheduledFireTime().toInstant());
    }
  }

  /** Schedules the cluster's backups with this cron expression (null: none). Idempotent. */
  public synchronized void ensure(String cluster, String cron) {
    if (java.util.Objects.equals(schedules.get(cluster), cron)) {
      return;
    }
    JobKey job = JobKey.jobKey(cluster, "backup");
    try {
      scheduler.deleteJob(job);
      schedules.remove(cluster);
      if (cron == null) {
        return;
      }
      JobDetail detail = JobBuilder.newJob(DueJob.class).withIdentity(job).usingJobData("cluster", cluster).build();
      Trigger trigger = TriggerBuilder.newTrigger().withIdentity(TriggerKey.triggerKey(cluster, "backup"))
          .withSchedule(CronScheduleBuilder.cronSchedule(cron).inTimeZone(TimeZone.getTimeZone("UTC"))
              .withMisfireHandlingInstructionDoNothing())
          .build();
      scheduler.scheduleJob(detail, trigger);
      schedules.put(cluster, cron);
    } catch (SchedulerException | RuntimeException e) {
      throw new IllegalStateException("cannot schedule backups of " + cluster + " with '" + cron + "': "
          + e.getMessage(), e);
    }
  }

  /** When the cluster's next scheduled backup is due. */
  public synchronized Optional<Instant> next(String cluster) {
    try {
      Trigger t = scheduler.getTrigger(TriggerKey.triggerKey(cluster, "backup"));
      Date next = t == null ? null : t.getNextFireTime();
      return Optional.ofNullable(next).map(Date::toInstant);
    } catch (SchedulerException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    try {
      scheduler.shutdown(false);
    } catch (SchedulerException e) {
      throw new IllegalStateException("stopping the backup scheduler: " + e.getMessage(), e);
    }
  }
}

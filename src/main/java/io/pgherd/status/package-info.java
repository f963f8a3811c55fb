/** status.json, assembled from one pass's observation and what the steps report. */
package io.pgherd.status;

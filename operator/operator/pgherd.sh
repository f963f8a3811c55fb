#!/bin/sh
# The pgherd CLI inside the operator image (PGHERD_HOME is the image's home volume).
exec java ${PGHERD_JAVA_OPTS:-} -jar /opt/pgherd/pgherd.jar "$@"

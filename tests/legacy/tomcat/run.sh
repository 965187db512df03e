#!/usr/bin/env bash
# Runs the legacy Tomcat app in the foreground on Debian's Tomcat 10 (package tomcat10-common):
#
#     PORT=8083 LEGACY_LOG=/tmp/tomcat-access.log tests/legacy/tomcat/run.sh
#
# CATALINA_BASE (default: a new temporary directory) gets this folder's conf/ with the port,
# the access log (the oracle) and the webapp's path filled in; nothing is written here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

: "${PORT:?set PORT}"
: "${LEGACY_LOG:?set LEGACY_LOG (the access log, one JSON line per request)}"
CATALINA_HOME="${CATALINA_HOME:-/usr/share/tomcat10}"
CATALINA_BASE="${CATALINA_BASE:-$(mktemp -d -t legacy-tomcat.XXXXXX)}"
export CATALINA_HOME CATALINA_BASE

log_dir="$(cd "$(dirname "$LEGACY_LOG")" && pwd)"
log_file="$(basename "$LEGACY_LOG")"
mkdir -p "$CATALINA_BASE"/{conf,logs,temp,webapps,work}
cp "$here"/conf/{web.xml,tomcat-users.xml,catalina.properties,logging.properties} "$CATALINA_BASE/conf/"
sed -e "s|@PORT@|$PORT|g" \
    -e "s|@ACCESS_LOG_DIR@|$log_dir|g" \
    -e "s|@ACCESS_LOG_FILE@|$log_file|g" \
    -e "s|@WEBAPP@|$here/webapp|g" \
    "$here/conf/server.xml" >"$CATALINA_BASE/conf/server.xml"

# A small, quickly started JVM: this is a test fixture, not a production server.
export JAVA_OPTS="${JAVA_OPTS:-} -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -XX:-UsePerfData"
export CATALINA_PID="$CATALINA_BASE/catalina.pid"
exec "$CATALINA_HOME/bin/catalina.sh" run

#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft) plus `pma registry serve` as its schema registry, for CI
# and local development, with no Docker: the jars come from Maven Central through pom.xml.
#
#   kafka.sh up             fetch (cached), format a temp log dir, start broker + registry, print env
#   kafka.sh down           stop both and delete the log dir
#   kafka.sh stop-broker    stop only the broker (clean shutdown), keep its log dir
#   kafka.sh start-broker   start the broker again on the same log dir
#   kafka.sh env            print the export lines of a running setup
#   kafka.sh status         say what runs, exit 1 if the broker does not
#   kafka.sh fetch          only fetch the jars
#   kafka.sh tool CLASS ARGS...   run a Kafka tool class (e.g. org.apache.kafka.tools.ProducerPerformance)
#
# Settings (environment): PMA_KAFKA_STATE (state dir; default .ci/work/kafka in the checkout),
# PMA_KAFKA_PORT (19092), PMA_KAFKA_CONTROLLER_PORT (19093), PMA_REGISTRY_PORT (18081),
# PMA_KAFKA_HEAP (1g); the secured listeners' ports PMA_KAFKA_SASL_SSL_PORT (broker port + 2),
# PMA_KAFKA_SSL_PORT (+ 3) and PMA_KAFKA_SASL_PLAINTEXT_PORT (+ 4). Logs: $PMA_KAFKA_STATE/broker.log
# and registry.log.
#
# Secured listeners: SASL_SSL (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN), SSL with a required client
# certificate, and SASL_PLAINTEXT. `up` makes a CA, a broker certificate for 127.0.0.1 and a client
# certificate with openssl into $PMA_KAFKA_STATE/tls, a user "pma" with a fresh password, and
# prints them with the brokers (KAFKA_SASL_SSL_BROKERS, KAFKA_TLS_CA, KAFKA_SASL_PASSWORD...).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache="$root/.ci/cache"
libs="$cache/kafka-$kafka_version/libs"
state="${PMA_KAFKA_STATE:-$root/.ci/work/kafka}"
# Ports: the environment, else those chosen by `up` (kept in the state dir so a restart reuses
# them), else defaults that `up` moves by 100 while another process holds them.
[ -f "$state/ports" ] && . "$state/ports"
port="${PMA_KAFKA_PORT:-${saved_port:-19092}}"
controller_port="${PMA_KAFKA_CONTROLLER_PORT:-${saved_controller_port:-19093}}"
registry_port="${PMA_REGISTRY_PORT:-${saved_registry_port:-18081}}"
sasl_ssl_port="${PMA_KAFKA_SASL_SSL_PORT:-${saved_sasl_ssl_port:-$((port + 2))}}"
ssl_port="${PMA_KAFKA_SSL_PORT:-${saved_ssl_port:-$((port + 3))}}"
sasl_plaintext_port="${PMA_KAFKA_SASL_PLAINTEXT_PORT:-${saved_sasl_plaintext_port:-$((port + 4))}}"
tls_dir="$state/tls"
sasl_user=pma
heap="${PMA_KAFKA_HEAP:-1g}"
# Any fixed 22-character base64 id: a fresh id would cost another JVM start.
cluster_id="UE1BLWNpLWNsdXN0ZXItMQ"
log4j="-Dlog4j2.configurationFile=$here/log4j2.properties"

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

fetch() {
  local stamp="$libs/.pom.sha256" want
  want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found: install Maven 3 (apt-get install -y maven)"
  say "fetching Apache Kafka $kafka_version from Maven Central into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mkdir -p "$state"
  mvn -B -q -f "$here/pom.xml" -Dmaven.repo.local="$cache/m2" -Dstyle.color=never \
    dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >"$state/maven.log" 2>&1 \
    || { tail -n 40 "$state/maven.log" >&2; die "Maven could not fetch Kafka (log: $state/maven.log)"; }
  echo "$want" > "$stamp"
}

java_cp() { java "$log4j" -Djava.awt.headless=true -cp "$libs/*" "$@"; }

print_env() {
  cat <<EOF
export KAFKA_BROKERS=127.0.0.1:$port
export SCHEMA_REGISTRY_URL=http://127.0.0.1:$registry_port
export PMA_KAFKA_STATE=$state
export KAFKA_SASL_SSL_BROKERS=127.0.0.1:$sasl_ssl_port
export KAFKA_SSL_BROKERS=127.0.0.1:$ssl_port
export KAFKA_SASL_PLAINTEXT_BROKERS=127.0.0.1:$sasl_plaintext_port
export KAFKA_SASL_USERNAME=$sasl_user
export KAFKA_SASL_PASSWORD=$(cat "$tls_dir/sasl-password")
export KAFKA_TLS_CA=$tls_dir/ca.pem
export KAFKA_TLS_CLIENT_CERT=$tls_dir/client.pem
export KAFKA_TLS_CLIENT_KEY=$tls_dir/client-key.pem
EOF
}

make_tls() { # a CA, the broker's certificate (for 127.0.0.1 and localhost), a client certificate, the SASL password
  rm -rf "$tls_dir"
  mkdir -p "$tls_dir"
  command -v openssl >/dev/null || die "openssl not found: apt-get install -y openssl"
  # EC keys: generated in milliseconds, where RSA would add a visible pause to every `up`.
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30)
  (
    cd "$tls_dir"
    openssl req -x509 "${ec[@]}" -subj "/CN=pma test CA" -keyout ca-key.pem -out ca.pem
    for who in broker client; do
      openssl req "${ec[@]}" -subj "/CN=pma test $who" -keyout "$who-key.pem" -out "$who.csr"
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$who.ext"
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 -extfile "$who.ext" -out "$who.pem"
    done
    cat broker-key.pem broker.pem > broker-keystore.pem
    # Hex: nothing the --add-scram syntax or the JAAS quotes would need escaped.
    od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > sasl-password
  ) >>"$state/broker.log" 2>&1 || { tail -n 20 "$state/broker.log" >&2; die "making the test certificates in $tls_dir failed"; }
}

wait_port() { # port pidfile logfile what seconds [log line that must appear after line N: text N]
  local deadline=$((SECONDS + $5))
  until port_open "$1" && { [ -z "${6:-}" ] || tail -n +"$(($7 + 1))" "$3" | grep -q "$6"; }; do
    pid_alive "$2" || { tail -n 40 "$3" >&2 || true; die "$4 exited before it answered (log: $3)"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 40 "$3" >&2 || true; die "$4 did not answer on port $1 within $5 s (log: $3)"; }
    sleep 0.1
  done
}

start_broker() {
  pid_alive "$state/broker.pid" && { say "broker already runs (pid $(cat "$state/broker.pid"))"; return 0; }
  [ -f "$state/server.properties" ] || die "no formatted broker in $state: run 'kafka.sh up' first"
  port_open "$port" && die "port $port is taken by another process (set PMA_KAFKA_PORT)"
  local p
  for p in "$sasl_ssl_port" "$ssl_port" "$sasl_plaintext_port"; do
    port_open "$p" && die "port $p is taken by another process (set PMA_KAFKA_SASL_SSL_PORT, PMA_KAFKA_SSL_PORT, PMA_KAFKA_SASL_PLAINTEXT_PORT)"
  done
  local lines
  lines="$(wc -l < "$state/broker.log")"
  # setsid: its own session, so a signal to the caller's process group (Ctrl-C, `timeout`) does
  # not take the broker down with it; only kafka.sh stops it.
  setsid nohup java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true "$log4j" \
    -cp "$libs/*" kafka.Kafka "$state/server.properties" </dev/null >>"$state/broker.log" 2>&1 &
  echo $! > "$state/broker.pid"
  # The port opens before the broker has loaded its metadata: wait for its "started" line too.
  wait_port "$port" "$state/broker.pid" "$state/broker.log" "broker" 60 "Kafka Server started" "$lines"
  say "broker up on 127.0.0.1:$port (pid $(cat "$state/broker.pid"), log $state/broker.log)"
}

stop_pid() { # pidfile what
  pid_alive "$1" || { rm -f "$1"; return 0; }
  local pid deadline=$((SECONDS + 30))
  pid="$(cat "$1")"
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then say "$2 (pid $pid) ignored SIGTERM for 30 s: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  rm -f "$1"
  say "$2 stopped (pid $pid)"
}

start_registry() {
  pid_alive "$state/registry.pid" && return 0
  port_open "$registry_port" && die "port $registry_port is taken by another process (set PMA_REGISTRY_PORT)"
  rm -rf "$state/registry-data"
  mkdir -p "$state/registry-data"
  setsid nohup "$root/node_modules/.bin/node" "$root/cli/pma.ts" --data-dir "$state/registry-data" --log-format json \
    registry serve --host 127.0.0.1 --port "$registry_port" </dev/null >>"$state/registry.log" 2>&1 &
  echo $! > "$state/registry.pid"
  wait_port "$registry_port" "$state/registry.pid" "$state/registry.log" "schema registry" 30
  say "schema registry up on http://127.0.0.1:$registry_port (pid $(cat "$state/registry.pid"), log $state/registry.log)"
}

secure_ports() { # from the environment, else beside the plain listener's
  sasl_ssl_port="${PMA_KAFKA_SASL_SSL_PORT:-$((port + 2))}"
  ssl_port="${PMA_KAFKA_SSL_PORT:-$((port + 3))}"
  sasl_plaintext_port="${PMA_KAFKA_SASL_PLAINTEXT_PORT:-$((port + 4))}"
}

choose_ports() {
  local tries=0
  if [ -z "${PMA_KAFKA_PORT:-}" ]; then
    port=19092 controller_port=19093
    secure_ports
    while port_open "$port" || port_open "$controller_port" || port_open "$sasl_ssl_port" || port_open "$ssl_port" || port_open "$sasl_plaintext_port"; do
      tries=$((tries + 1)); [ "$tries" -lt 20 ] || die "no free broker ports near 19092 (set PMA_KAFKA_PORT)"
      port=$((port + 100)) controller_port=$((controller_port + 100))
      secure_ports
    done
  else
    secure_ports
  fi
  tries=0
  if [ -z "${PMA_REGISTRY_PORT:-}" ]; then
    registry_port=18081
    while port_open "$registry_port"; do
      tries=$((tries + 1)); [ "$tries" -lt 20 ] || die "no free registry port near 18081 (set PMA_REGISTRY_PORT)"
      registry_port=$((registry_port + 100))
    done
  fi
  printf 'saved_port=%s\nsaved_controller_port=%s\nsaved_registry_port=%s\nsaved_sasl_ssl_port=%s\nsaved_ssl_port=%s\nsaved_sasl_plaintext_port=%s\n' \
    "$port" "$controller_port" "$registry_port" "$sasl_ssl_port" "$ssl_port" "$sasl_plaintext_port" > "$state/ports"
}

up() {
  command -v java >/dev/null || die "java not found: install a JDK 17+ (apt-get install -y openjdk-17-jre-headless)"
  pid_alive "$state/broker.pid" && die "a broker already runs from $state (pid $(cat "$state/broker.pid")); run 'npm run kafka:down' first"
  fetch
  mkdir -p "$state"
  choose_ports
  : > "$state/broker.log"
  : > "$state/registry.log"
  local log_dir
  log_dir="$(mktemp -d "${TMPDIR:-/tmp}/pma-kafka-log.XXXXXX")"
  echo "$log_dir" > "$state/log-dir"
  make_tls
  local password
  password="$(cat "$tls_dir/sasl-password")"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@LOG_DIR@|$log_dir|g" \
    -e "s|@SASL_SSL_PORT@|$sasl_ssl_port|g" -e "s|@SSL_PORT@|$ssl_port|g" -e "s|@SASL_PLAINTEXT_PORT@|$sasl_plaintext_port|g" \
    -e "s|@TLS_DIR@|$tls_dir|g" -e "s|@SASL_USER@|$sasl_user|g" -e "s|@SASL_PASSWORD@|$password|g" \
    "$here/server.properties" > "$state/server.properties"
  # SCRAM credentials live in the cluster metadata; on KRaft they are written when formatting.
  java_cp kafka.tools.StorageTool format -t "$cluster_id" -c "$state/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$sasl_user,password=$password]" --add-scram "SCRAM-SHA-512=[name=$sasl_user,password=$password]" >>"$state/broker.log" 2>&1 \
    || { tail -n 20 "$state/broker.log" >&2; die "formatting $log_dir failed"; }
  start_broker
  start_registry
  print_env > "$state/env"
  print_env
}

down() {
  stop_pid "$state/registry.pid" "schema registry"
  stop_pid "$state/broker.pid" "broker"
  rm -rf "$state/registry-data"
  if [ -f "$state/log-dir" ]; then
    rm -rf "$(cat "$state/log-dir")"
    rm -f "$state/log-dir" "$state/env" "$state/server.properties" "$state/ports"
    rm -rf "$tls_dir"
  fi
}

status() {
  local ok=0
  if pid_alive "$state/broker.pid"; then say "broker runs (pid $(cat "$state/broker.pid")) on 127.0.0.1:$port"; else say "broker does not run"; ok=1; fi
  if pid_alive "$state/registry.pid"; then say "registry runs (pid $(cat "$state/registry.pid")) on port $registry_port"; else say "registry does not run"; fi
  return "$ok"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  up) up ;;
  down) down ;;
  stop-broker) stop_pid "$state/broker.pid" "broker" ;;
  start-broker) start_broker ;;
  env) [ -f "$state/env" ] || die "nothing runs from $state: run 'npm run kafka:up'"; cat "$state/env" ;;
  status) status ;;
  fetch) fetch ;;
  tool) fetch; java -Xmx512m "$log4j" -Djava.awt.headless=true -cp "$libs/*" "$@" ;;
  *) die "usage: kafka.sh up|down|stop-broker|start-broker|env|status|fetch|tool CLASS ARGS..." ;;
esac

#!/usr/bin/env bash
# A real S3 server for Weightline's remote tests and benchmark: a one-node Ceph
# cluster (one mon, one BlueStore OSD on a sparse file, radosgw's beast
# frontend on 127.0.0.1) run as plain background processes, all state under one
# folder. Facts and pitfalls behind every setting: ../shared/S3-TESTING.md.
#
#   scripts/s3-server.sh start [--fresh]   start (or reuse) the server; prints the env to use
#   scripts/s3-server.sh stop              stop it by the recorded pids (rgw, then osd, then mon)
#   scripts/s3-server.sh status            exit 0 and print the env when it answers, else exit 1
#   scripts/s3-server.sh env               print the env (whether or not it runs)
#
# Settings (environment): WL_S3_DIR (default /tmp/weightline-s3), WL_S3_PORT
# (radosgw, default 7480), WL_S3_MON_PORT (default WL_S3_PORT + 1). Two servers
# with different folders and ports run side by side (tests that stop a server
# start their own).
#
# `start` is idempotent: a server that answers is reused; one with data but no
# live processes is restarted on its data (2-3 s); --fresh wipes the folder
# first. Needs the Debian packages ceph-mon ceph-osd radosgw curl.
set -euo pipefail

DIR=${WL_S3_DIR:-/tmp/weightline-s3}
PORT=${WL_S3_PORT:-7480}
MON_PORT=${WL_S3_MON_PORT:-$((PORT + 1))}
# Fixed test keys: this server listens on 127.0.0.1 only and holds test data only.
ACCESS_KEY=${WL_S3_ACCESS_KEY:-WEIGHTLINETESTKEY000}
SECRET_KEY=${WL_S3_SECRET_KEY:-weightline-test-secret-0000000000000000000}
REGION=us-east-1
# rgw's own pools, made up front: created on first use they cost ~2 s each (gotcha 6).
POOLS=(.rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec)

say() { printf 's3-server: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

print_env() {
  cat <<EOF
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=$REGION
EOF
}

CONF="$DIR/ceph.conf"
ceph_() { timeout 30 ceph -c "$CONF" "$@"; }

pid_of() { cat "$DIR/run/$1.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# An authenticated request (ListBuckets). curl's --aws-sigv4 omits
# x-amz-content-sha256, which radosgw requires (gotcha 7).
answers() {
  curl -sf -o /dev/null --max-time 3 \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    "http://127.0.0.1:$PORT/"
}

write_conf() {
  local fsid=$1 asok
  # Unix socket paths are limited to 107 bytes (gotcha 6): no admin sockets for a long folder.
  if [ ${#DIR} -le 60 ]; then asok="$DIR/run/\$name.asok"; else asok=''; fi
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = 127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
# Without this radosgw loops on "get_initial_auth_request returned -13" and never listens (gotcha 1).
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd op num shards = 1
run dir = $DIR/run
crash dir = $DIR/crash
log file = $DIR/log/\$name.log
admin socket = $asok
keyring = /dev/null

[mon]
mon data = $DIR/mon/\$cluster-\$id
# One node: no reason to batch map changes for a second (each pool made up front waited ~1 s).
paxos propose interval = 0.05
paxos min wait = 0.01

[osd]
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = bluestore
bluestore block path = $DIR/osd/\$cluster-\$id.block
bluestore block create = true
bluestore block size = 21474836480
bluestore fsck on mount = false
osd max object size = 1073741824

[client.rgw.test]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
rgw enable usage log = false
rgw dns name = 127.0.0.1
EOF
}

start_daemon() { # name, command...
  local name=$1; shift
  setsid "$@" </dev/null >"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}

wait_for() { # seconds, description, command...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
  [ -n "$what" ] && say "$what"
  return 0
}

osd_up_with_our_pid() {
  # After a SIGKILL the osdmap still shows the dead OSD up: wait for the OSD
  # with the new pid (gotcha 5). The osdmap's addresses end in the daemon's
  # nonce, which is its pid: "osd.0 up ... [v2:127.0.0.1:6800/<pid>,...]".
  local p; p=$(pid_of osd)
  ceph_ osd dump 2>/dev/null | grep -Eq "^osd\.0 up .*/$p[],]" || return 1
}

create_cluster() {
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$DIR"/{run,log,crash,mon,osd/ceph-0,rgw}
  write_conf "$fsid"
  monmaptool --create --clobber --add a "127.0.0.1:$MON_PORT" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >"$DIR/log/mon-mkfs.out" 2>&1 || die "ceph-mon --mkfs failed: $(tail -3 "$DIR/log/mon-mkfs.out")"
  start_daemon mon ceph-mon -c "$CONF" -f -i a
  wait_for 30 '' ceph_ -s || die "the monitor did not answer in 30 s ($DIR/log/mon.a.log)"
  say "monitor up after $SECONDS s"
  ceph_ osd new "$osd_uuid" >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$DIR/log/osd-mkfs.out" 2>&1 || die "ceph-osd --mkfs failed: $(tail -3 "$DIR/log/osd-mkfs.out")"
  start_daemon osd ceph-osd -c "$CONF" -f -i 0
  wait_for 60 '' osd_up_with_our_pid || die "the OSD did not come up in 60 s ($DIR/log/osd.0.log)"
  say "OSD up after $SECONDS s"
  # One ceph session for all of them (each `ceph` run costs about a second).
  for pool in "${POOLS[@]}"; do
    printf 'osd pool create %s 8 8\nosd pool application enable %s rgw\n' "$pool" "$pool"
  done | ceph_ >"$DIR/log/pools.out" 2>&1 || die "creating rgw's pools failed: $(tail -3 "$DIR/log/pools.out")"
  say "pools made after $SECONDS s"
  timeout 60 radosgw-admin -c "$CONF" -n client.rgw.test user create --uid test --display-name test \
    --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" >"$DIR/log/user-create.out" 2>&1 \
    || die "radosgw-admin user create failed: $(tail -3 "$DIR/log/user-create.out")"
  say "user made after $SECONDS s"
  start_daemon rgw radosgw -c "$CONF" -n client.rgw.test -f
  touch "$DIR/created"
}

restart_cluster() {
  write_conf "$(sed -n 's/^fsid = //p' "$CONF")"
  alive mon || start_daemon mon ceph-mon -c "$CONF" -f -i a
  wait_for 30 '' ceph_ -s || die "the monitor did not answer in 30 s ($DIR/log/mon.a.log)"
  alive osd || start_daemon osd ceph-osd -c "$CONF" -f -i 0
  wait_for 60 '' osd_up_with_our_pid || die "the OSD did not come up in 60 s ($DIR/log/osd.0.log)"
  alive rgw || start_daemon rgw radosgw -c "$CONF" -n client.rgw.test -f
}

stop_one() { # name, seconds to wait before SIGKILL
  local name=$1 secs=$2 p
  p=$(pid_of "$name")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    local end=$((SECONDS + secs))
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then say "$name (pid $p) did not stop in $secs s: SIGKILL"; kill -KILL "$p" 2>/dev/null || true; fi
  fi
  rm -f "$DIR/run/$name.pid"
}

cmd_stop() {
  [ -d "$DIR/run" ] || { say "not running (no $DIR/run)"; return 0; }
  # radosgw first: it hangs on shutdown when the OSD is gone (gotcha 5).
  stop_one rgw 10
  stop_one osd 15
  stop_one mon 10
  say "stopped (data kept in $DIR; start again, or start --fresh)"
}

cmd_start() {
  local fresh=${1:-}
  for t in ceph-mon ceph-osd radosgw radosgw-admin monmaptool curl; do
    command -v "$t" >/dev/null 2>&1 || die "$t is missing: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw curl"
  done
  if [ "$fresh" = --fresh ]; then cmd_stop >/dev/null 2>&1 || true; rm -rf "$DIR"; fi
  if alive rgw && answers; then say "already running on 127.0.0.1:$PORT ($DIR)"; print_env; return 0; fi
  local t0=$SECONDS
  if [ -f "$DIR/created" ]; then
    say "restarting on the data in $DIR"
    restart_cluster
  else
    [ -e "$DIR" ] && { say "removing a half-made $DIR"; cmd_stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
    say "creating a one-node Ceph cluster in $DIR"
    create_cluster
  fi
  if ! wait_for 60 '' answers; then
    alive rgw || die "radosgw exited: $(tail -5 "$DIR/log/rgw.out" 2>/dev/null)"
    die "radosgw on 127.0.0.1:$PORT did not answer an authenticated request in 60 s ($DIR/log/client.rgw.test.log)"
  fi
  say "ready on http://127.0.0.1:$PORT in $((SECONDS - t0)) s (pids: mon $(pid_of mon), osd $(pid_of osd), rgw $(pid_of rgw))"
  print_env
}

cmd_status() {
  if alive rgw && answers; then say "running on 127.0.0.1:$PORT ($DIR)"; print_env; return 0; fi
  local parts=()
  for n in mon osd rgw; do alive "$n" && parts+=("$n up") || parts+=("$n down"); done
  say "not answering on 127.0.0.1:$PORT (${parts[*]})"
  return 1
}

case "${1:-}" in
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  *) echo "usage: $0 start [--fresh] | stop | status | env" >&2; exit 2 ;;
esac

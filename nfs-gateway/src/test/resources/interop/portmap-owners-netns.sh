#!/bin/bash
# Runs inside `unshare -n -m`: whose rpcbind entries Depot may replace or remove.
# $1: java executable, $2: classpath, $3: scenario, $4: scratch directory
#   foreign: rpcbind and another NFS server in a network namespace A whose rpcbind socket is all
#            Depot (here, namespace B) sees of it; port 111 here is held by a second rpcbind. Nothing
#            of A is reachable from B's loopback. A's rpcbind must be left alone (Depot registers
#            with the one on its own port 111).
#   foreign-here: rpcbind, the other NFS server and Depot in this one namespace: the other
#            server's entries must stay, Depot takes only the free slots.
#   killed:  a Depot killed with -9 while registered, then another Depot: the registrations the
#            first left must be replaced by the second's.
#   killed-tcp: the same with rpcbind's socket out of Depot's sight (renamed), so Depot registers
#            with PMAPPROC_SET over TCP.
set -u
JAVA=$1 CP=$2 SCENARIO=$3 D=$4
. "$(dirname "$0")/netns-lib.sh"
private_loopback
mkdir -p /run/rpcbind

wait_for() { # wait_for SECONDS COMMAND...: polls COMMAND until it succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { echo "TIMEOUT waiting for: $*"; return 1; }
    sleep 0.05
  done
}

if [ "$SCENARIO" = foreign ] || [ "$SCENARIO" = foreign-here ]; then
  if [ "$SCENARIO" = foreign ]; then
    unshare -n sh -c 'ip link set lo up; exec rpcbind -f -w' &
    RPCBIND_A=$!
    wait_for 10 test -S /run/rpcbind.sock
    in_a() { nsenter -t "$RPCBIND_A" -n "$@"; }
    # port 111 of this namespace: another rpcbind, with a /run of its own so it leaves A's socket alone
    unshare -m sh -c 'mount -t tmpfs tmpfs /run; mkdir /run/rpcbind; exec rpcbind -f -w' &
    RPCBIND_B=$!
    wait_for 10 rpcinfo -p 127.0.0.1
  else # everything in this namespace: Depot registers with the same rpcbind as the other server
    rpcbind -f -w &
    RPCBIND_A=$!
    RPCBIND_B=
    wait_for 10 test -S /run/rpcbind.sock
    in_a() { "$@"; }
  fi
  in_a "$JAVA" -cp "$CP" io.depot.nfs.ForeignRegistrantMain > "$D/foreign.out" 2>&1 &
  FOREIGN=$!
  wait_for 60 grep -q READY "$D/foreign.out"
  echo "FOREIGN $(cat "$D/foreign.out")"
  echo "== A before Depot"; in_a rpcinfo 127.0.0.1 2>&1
  start_server io.depot.nfs.InteropServerMain
  echo "== A while Depot runs"; in_a rpcinfo 127.0.0.1 2>&1
  echo "== here while Depot runs"; rpcinfo -p 127.0.0.1 2>&1
  echo "== server output"
  stop_server
  echo "== A after Depot stopped"; in_a rpcinfo 127.0.0.1 2>&1
  echo "== here after Depot stopped"; rpcinfo -p 127.0.0.1 2>&1
  kill "$FOREIGN" "$RPCBIND_A" $RPCBIND_B
else
  rpcbind -f -w &
  RPCBIND=$!
  wait_for 10 test -S /run/rpcbind.sock
  [ "$SCENARIO" = killed-tcp ] && mv /run/rpcbind.sock /run/rpcbind-elsewhere.sock
  start_server io.depot.nfs.InteropServerMain
  echo "== first Depot"; rpcinfo -p 127.0.0.1 2>&1
  kill -9 "$SERVER"
  wait "$SERVER" 2>/dev/null
  exec 4>&- 5<&-
  echo "== after kill -9"; rpcinfo -p 127.0.0.1 2>&1
  start_server io.depot.nfs.InteropServerMain
  echo "== second Depot"; rpcinfo -p 127.0.0.1 2>&1
  echo "== rpcinfo -u"; rpcinfo -u 127.0.0.1 mountd 3 2>&1
  echo "== rpcinfo -t"; rpcinfo -t 127.0.0.1 mountd 1 2>&1
  echo "== ledger"; cat /run/depot-rpcbind-registrations
  echo "== server output"
  stop_server
  echo "== after shutdown"; rpcinfo -p 127.0.0.1 2>&1
  echo "== ledger after shutdown"; cat /run/depot-rpcbind-registrations; echo "(end of ledger)"
  kill "$RPCBIND"
fi
echo "== end"

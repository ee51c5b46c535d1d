#!/bin/bash
# NSM against Debian's rpcbind, rpc.statd and sm-notify, inside `unshare -n -m` (port 111 is ours).
# $1: java executable, $2: classpath, $3: scenario (send | receive), $4: scratch directory
#   send:    a real rpc.statd monitors Depot (127.0.0.1); Depot restarts and its notifier tells it.
#   receive: Depot monitors "nsm-client.test"; the real sm-notify tells Depot that host rebooted,
#            with a state directory whose record the real rpc.statd wrote (SM_MON of 127.0.0.2).
set -u
JAVA=$1 CP=$2 SCENARIO=$3 D=$4
. "$(dirname "$0")/netns-lib.sh"
private_loopback
ip addr add 10.9.1.1/32 dev lo   # a second, non-loopback address on this namespace's own loopback
mkdir -p /run/rpcbind "$D/statd/sm" "$D/statd/sm.bak"
MAIN=io.depot.nfs.nsm.NsmInteropMain

rpcbind -f -w &
RPCBIND=$!
for _ in $(seq 1 100); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done
/usr/sbin/rpc.statd -F -d -P "$D/statd" > "$D/statd.log" 2>&1 &
STATD=$!
for _ in $(seq 1 100); do rpcinfo -T udp 127.0.0.1 100024 1 > /dev/null 2>&1 && break; sleep 0.1; done
echo "== statd registered"; rpcinfo -p 127.0.0.1 2>&1 | grep status

if [ "$SCENARIO" = send ]; then
  "$JAVA" -cp "$CP" $MAIN send "$D/pool" 2>> "$D/server.log"
  kill "$STATD"; wait "$STATD" 2>/dev/null
else
  "$JAVA" -cp "$CP" $MAIN mon 127.0.0.2 nsm-client.test 2>> "$D/server.log"
  kill "$STATD"; wait "$STATD" 2>/dev/null
  echo "== statd's records"; ls "$D/statd/sm"
  kill "$RPCBIND"; wait "$RPCBIND" 2>/dev/null
  rm -f /run/rpcbind.sock
  start_server $MAIN serve "$D/pool"
  echo "== probe from 10.9.1.1"
  "$JAVA" -cp "$CP" $MAIN probe 10.9.1.1 2>> "$D/server.log"
  echo "== sm-notify"
  timeout 60 /usr/sbin/sm-notify -f -d -P "$D/statd" 2>&1
  echo "sm-notify exit $?"
  while read -r -t 30 line <&5; do
    echo "$line"
    case $line in REBOOTED*) break ;; esac
  done
  echo "== server output"
  stop_server
fi
[ "$SCENARIO" = send ] && { kill "$RPCBIND"; wait "$RPCBIND" 2>/dev/null; }
echo "== statd log"; cat "$D/statd.log"
echo "== end"

#!/bin/bash
# Runs inside `unshare -n -m`: a private loopback where port 111 is ours, and a private /run so
# a system rpcbind started here cannot disturb one on the host.
# $1: java executable, $2: classpath, $3: scenario (embedded | rpcbind), $4: scratch directory
set -u
JAVA=$1 CP=$2 SCENARIO=$3 D=$4
ip link set lo up
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run
mkdir -p /run/rpcbind
if [ "$SCENARIO" = rpcbind ]; then
  rpcbind -f -w &
  RPCBIND=$!
  for _ in $(seq 1 100); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done
fi
mkfifo "$D/ctl" "$D/out"
"$JAVA" -cp "$CP" io.depot.nfs.InteropServerMain < "$D/ctl" > "$D/out" 2> "$D/server.log" &
SERVER=$!
exec 4> "$D/ctl"
exec 5< "$D/out"
while read -r line <&5; do
  echo "$line"
  case $line in READY*) break ;; esac
done
echo "== rpcinfo -p"; rpcinfo -p 127.0.0.1 2>&1
echo "== rpcinfo -t"; rpcinfo -t 127.0.0.1 mountd 3 2>&1
echo "== nfs-ls"; timeout 20 nfs-ls nfs://127.0.0.1/open 2>&1 | head -3
echo "== showmount -e"; showmount -e 127.0.0.1 2>&1
echo "== showmount -a"; showmount -a 127.0.0.1 2>&1
exec 4>&-
echo "== server output"
cat <&5
wait "$SERVER"
if [ "$SCENARIO" = rpcbind ]; then
  echo "== after shutdown"; rpcinfo -p 127.0.0.1 2>&1
  kill "$RPCBIND"
fi
echo "== end"

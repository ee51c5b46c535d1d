#!/bin/bash
# Runs inside `unshare -n -m`: a private loopback where port 111 is ours, and a private /run so
# a system rpcbind started here cannot disturb one on the host.
# $1: java executable, $2: classpath, $3: scenario (embedded | rpcbind), $4: scratch directory
set -u
JAVA=$1 CP=$2 SCENARIO=$3 D=$4
. "$(dirname "$0")/netns-lib.sh"
private_loopback
mkdir -p /run/rpcbind
if [ "$SCENARIO" = rpcbind ]; then
  rpcbind -f -w &
  RPCBIND=$!
  for _ in $(seq 1 100); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done
fi
start_server io.depot.nfs.InteropServerMain
echo "== rpcinfo -p"; rpcinfo -p 127.0.0.1 2>&1
echo "== rpcinfo -t"; rpcinfo -t 127.0.0.1 mountd 3 2>&1
echo "== rpcinfo -u"; rpcinfo -u 127.0.0.1 mountd 3 2>&1
echo "== nfs-ls"; timeout 20 nfs-ls nfs://127.0.0.1/open 2>&1 | head -3
echo "== showmount -e"; showmount -e 127.0.0.1 2>&1
echo "== showmount -a"; showmount -a 127.0.0.1 2>&1
echo "== server output"
stop_server
if [ "$SCENARIO" = rpcbind ]; then
  echo "== after shutdown"; rpcinfo -p 127.0.0.1 2>&1
  kill "$RPCBIND"
fi
echo "== end"

#!/bin/bash
# Runs inside `unshare -n -m`: a private loopback where port 111 is ours (the gateway's embedded
# portmapper), so that clients which insist on it (libnfs, QEMU) reach our MOUNT and NFS.
# $1: java executable, $2: classpath, $3: scratch directory
set -u
JAVA=$1 CP=$2 D=$3
ip link set lo up
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run
U=nfs://127.0.0.1/depot

start_server() {
  rm -f "$D/ctl" "$D/out"
  mkfifo "$D/ctl" "$D/out"
  "$JAVA" -cp "$CP" io.depot.nfs.NfsInteropServerMain "$D/pool" < "$D/ctl" > "$D/out" 2>> "$D/server.log" &
  SERVER=$!
  exec 4> "$D/ctl"
  exec 5< "$D/out"
  while read -r line <&5; do
    echo "$line"
    case $line in READY*) break ;; esac
  done
}

stop_server() {
  exec 4>&-
  cat <&5
  exec 5<&-
  wait "$SERVER"
}

start_server
head -c $((20 * 1024 * 1024 + 333)) /dev/urandom > "$D/in.bin"
echo "hello from depot" > "$D/small.txt"
echo "== nfs-cp in"; timeout 60 nfs-cp "$D/in.bin" "$U/big.bin" 2>&1; echo "rc=$?"
echo "== nfs-cp small"; timeout 20 nfs-cp "$D/small.txt" "$U/small.txt" 2>&1; echo "rc=$?"
echo "== nfs-ls"; timeout 20 nfs-ls "$U/" 2>&1
echo "== nfs-cp out"; timeout 60 nfs-cp "$U/big.bin" "$D/out.bin" 2>&1; echo "rc=$?"
if cmp "$D/in.bin" "$D/out.bin"; then echo "BIG COPY IDENTICAL"; fi
echo "== nfs-cat"; timeout 20 nfs-cat "$U/small.txt" 2>&1
echo "== qemu-img create"; timeout 30 qemu-img create -f qcow2 "$U/disk.qcow2" 64M 2>&1; echo "rc=$?"
echo "== qemu-io write"; timeout 30 qemu-io -f qcow2 -c 'write -P 0xab 1M 3M' -c 'write -P 0x5c 7777280 4096' "$U/disk.qcow2" 2>&1; echo "rc=$?"
echo "== qemu-img info"; timeout 30 qemu-img info "$U/disk.qcow2" 2>&1
echo "== qemu-img raw"; timeout 30 qemu-img create -f raw "$U/raw.img" 16M 2>&1 && timeout 30 qemu-io -f raw -c 'write -P 0x11 513 70000' "$U/raw.img" 2>&1; echo "rc=$?"
echo "== restart"
stop_server
start_server
echo "== nfs-ls after restart"; timeout 20 nfs-ls "$U/" 2>&1
echo "== nfs-cat after restart"; timeout 20 nfs-cat "$U/small.txt" 2>&1
echo "== qemu-io read after restart"; timeout 30 qemu-io -f qcow2 -c 'read -P 0xab 1M 3M' -c 'read -P 0x5c 7777280 4096' -c 'read -P 0 0 1M' "$U/disk.qcow2" 2>&1; echo "rc=$?"
echo "== qemu-io raw read after restart"; timeout 30 qemu-io -f raw -c 'read -P 0x11 513 70000' -c 'read -P 0 0 513' -c 'read -P 0 70513 1000' "$U/raw.img" 2>&1; echo "rc=$?"
echo "== qemu-img check"; timeout 30 qemu-img check "$U/disk.qcow2" 2>&1; echo "rc=$?"
echo "== nfs-cp out after restart"; rm -f "$D/out2.bin"; timeout 60 nfs-cp "$U/big.bin" "$D/out2.bin" 2>&1; echo "rc=$?"
if cmp "$D/in.bin" "$D/out2.bin"; then echo "BIG COPY IDENTICAL AFTER RESTART"; fi
stop_server
echo "== end"

#!/bin/bash
# Runs inside `unshare -n -m`: a private loopback where port 111 is ours (the gateway's embedded
# portmapper), so that clients which insist on it (libnfs, QEMU) reach our MOUNT and NFS.
# $1: java executable, $2: classpath, $3: scratch directory
set -u
JAVA=$1 CP=$2 D=$3
. "$(dirname "$0")/netns-lib.sh"
private_loopback
U=nfs://127.0.0.1/depot

start_server io.depot.nfs.NfsInteropServerMain "$D/pool"
head -c $((20 * 1024 * 1024 + 333)) /dev/urandom > "$D/in.bin"
echo "hello from depot" > "$D/small.txt"
echo "== nfs-cp in"; timeout 60 nfs-cp "$D/in.bin" "$U/big.bin" 2>&1; echo "rc=$?"
echo "== nfs-cp small"; timeout 20 nfs-cp "$D/small.txt" "$U/small.txt" 2>&1; echo "rc=$?"
echo "== nfs-ls"; timeout 20 nfs-ls "$U/" 2>&1
echo "== nfs-cp out"; timeout 60 nfs-cp "$U/big.bin" "$D/out.bin" 2>&1; echo "rc=$?"
if cmp "$D/in.bin" "$D/out.bin"; then echo "BIG COPY IDENTICAL"; fi
echo "== nfs-cat"; timeout 20 nfs-cat "$U/small.txt" 2>&1
# libnfs and QEMU mount the directory of the file a URL names: a subdirectory of the export
echo "== nfs-cp subdir"; timeout 20 nfs-cp "$D/small.txt" "$U/vms/small.txt" 2>&1; echo "rc=$?"
echo "== nfs-cat subdir"; timeout 20 nfs-cat "$U/vms/small.txt" 2>&1
echo "== qemu-img subdir"; timeout 60 qemu-img create -q -f qcow2 "$U/vms/disk.qcow2" 16M 2>&1 && timeout 60 qemu-img info "$U/vms/disk.qcow2" 2>&1 | grep "virtual size" | sed 's/^/subdir /'
echo "== nfs-cat missing subdir"; timeout 20 nfs-cat "$U/nope/small.txt" 2>&1; echo "missing subdir exit=$?"
echo "== qemu-img create"; timeout 30 qemu-img create -f qcow2 "$U/disk.qcow2" 64M 2>&1; echo "rc=$?"
echo "== qemu-io write"; timeout 30 qemu-io -f qcow2 -c 'write -P 0xab 1M 3M' -c 'write -P 0x5c 7777280 4096' "$U/disk.qcow2" 2>&1; echo "rc=$?"
echo "== qemu-img info"; timeout 30 qemu-img info "$U/disk.qcow2" 2>&1
echo "== qemu-img raw"; timeout 30 qemu-img create -f raw "$U/raw.img" 16M 2>&1 && timeout 30 qemu-io -f raw -c 'write -P 0x11 513 70000' "$U/raw.img" 2>&1; echo "rc=$?"
# images built the same way on NFS and locally, then compared and resized (qemu-img compare
# reads both through the block layer, so it compares what a guest would see)
L=$D/local
mkdir -p "$L"
RAWW=(-c 'write -P 0x21 0 4096' -c 'write -P 0x22 1000001 333333' -c 'write -P 0x23 30M 1M' -c 'write -P 0x24 33553920 512')
QW=(-c 'write -P 0x31 0 64k' -c 'write -P 0x32 5000000 1234567' -c 'write -P 0x33 60M 2M')
echo "== compare raw"
timeout 30 qemu-img create -f raw "$U/cmp.img" 32M 2>&1 && qemu-img create -f raw "$L/cmp.img" 32M >/dev/null
timeout 30 qemu-io -f raw "${RAWW[@]}" "$U/cmp.img" >/dev/null 2>&1; echo "rc=$?"
qemu-io -f raw "${RAWW[@]}" "$L/cmp.img" >/dev/null 2>&1
timeout 60 qemu-img compare -f raw -F raw "$L/cmp.img" "$U/cmp.img" 2>&1; echo "raw compare rc=$?"
echo "== compare qcow2"
timeout 30 qemu-img create -f qcow2 "$U/cmp.qcow2" 64M >/dev/null 2>&1 && qemu-img create -f qcow2 "$L/cmp.qcow2" 64M >/dev/null
timeout 30 qemu-io -f qcow2 "${QW[@]}" "$U/cmp.qcow2" >/dev/null 2>&1; echo "rc=$?"
qemu-io -f qcow2 "${QW[@]}" "$L/cmp.qcow2" >/dev/null 2>&1
timeout 60 qemu-img compare -f qcow2 -F qcow2 "$L/cmp.qcow2" "$U/cmp.qcow2" 2>&1; echo "qcow2 compare rc=$?"
echo "== compare detects a difference"
timeout 30 qemu-io -f raw -c 'write -P 0x99 7777777 1' "$U/cmp.img" >/dev/null 2>&1
timeout 60 qemu-img compare -f raw -F raw "$L/cmp.img" "$U/cmp.img" 2>&1; echo "changed compare exit $?"
timeout 30 qemu-io -f raw -c 'write -P 0 7777777 1' "$U/cmp.img" >/dev/null 2>&1
echo "== resize raw grow"
timeout 30 qemu-img resize -f raw "$U/cmp.img" 48M 2>&1; echo "rc=$?"
qemu-img resize -f raw "$L/cmp.img" 48M >/dev/null
timeout 30 qemu-img info -f raw "$U/cmp.img" 2>&1 | grep 'virtual size'
timeout 20 nfs-ls "$U/" 2>&1 | grep ' cmp.img$'
timeout 30 qemu-io -f raw -c 'read -P 0x22 1000001 333333' -c 'read -P 0x24 33553920 512' -c 'read -P 0 32M 16M' "$U/cmp.img" 2>&1; echo "rc=$?"
timeout 60 qemu-img compare -f raw -F raw "$L/cmp.img" "$U/cmp.img" 2>&1; echo "raw grown compare rc=$?"
echo "== resize raw shrink"
timeout 30 qemu-img resize -f raw --shrink "$U/cmp.img" 31M 2>&1; echo "rc=$?"
qemu-img resize -f raw --shrink "$L/cmp.img" 31M >/dev/null
timeout 30 qemu-img info -f raw "$U/cmp.img" 2>&1 | grep 'virtual size'
timeout 30 qemu-io -f raw -c 'read -P 0x21 0 4096' -c 'read -P 0x23 30M 1M' "$U/cmp.img" 2>&1; echo "rc=$?"
timeout 60 qemu-img compare -f raw -F raw "$L/cmp.img" "$U/cmp.img" 2>&1; echo "raw shrunk compare rc=$?"
echo "== resize qcow2 grow"
timeout 30 qemu-img resize -f qcow2 "$U/cmp.qcow2" +64M 2>&1; echo "rc=$?"
qemu-img resize -f qcow2 "$L/cmp.qcow2" +64M >/dev/null
timeout 30 qemu-img info -f qcow2 "$U/cmp.qcow2" 2>&1 | grep 'virtual size'
timeout 30 qemu-io -f qcow2 -c 'read -P 0x32 5000000 1234567' -c 'read -P 0x33 60M 2M' -c 'read -P 0 64M 64M' "$U/cmp.qcow2" 2>&1; echo "rc=$?"
timeout 30 qemu-io -f qcow2 -c 'write -P 0x34 100M 1M' "$U/cmp.qcow2" >/dev/null 2>&1
qemu-io -f qcow2 -c 'write -P 0x34 100M 1M' "$L/cmp.qcow2" >/dev/null 2>&1
timeout 60 qemu-img compare -f qcow2 -F qcow2 "$L/cmp.qcow2" "$U/cmp.qcow2" 2>&1; echo "qcow2 grown compare rc=$?"
timeout 30 qemu-img check -f qcow2 "$U/cmp.qcow2" 2>&1; echo "check rc=$?"
echo "== restart"
stop_server
start_server io.depot.nfs.NfsInteropServerMain "$D/pool"
echo "== nfs-ls after restart"; timeout 20 nfs-ls "$U/" 2>&1
echo "== nfs-cat after restart"; timeout 20 nfs-cat "$U/small.txt" 2>&1
echo "== qemu-io read after restart"; timeout 30 qemu-io -f qcow2 -c 'read -P 0xab 1M 3M' -c 'read -P 0x5c 7777280 4096' -c 'read -P 0 0 1M' "$U/disk.qcow2" 2>&1; echo "rc=$?"
echo "== qemu-io raw read after restart"; timeout 30 qemu-io -f raw -c 'read -P 0x11 513 70000' -c 'read -P 0 0 513' -c 'read -P 0 70513 1000' "$U/raw.img" 2>&1; echo "rc=$?"
echo "== qemu-img check"; timeout 30 qemu-img check "$U/disk.qcow2" 2>&1; echo "rc=$?"
echo "== nfs-cp out after restart"; rm -f "$D/out2.bin"; timeout 60 nfs-cp "$U/big.bin" "$D/out2.bin" 2>&1; echo "rc=$?"
if cmp "$D/in.bin" "$D/out2.bin"; then echo "BIG COPY IDENTICAL AFTER RESTART"; fi
echo "== compare after restart"
timeout 60 qemu-img compare -f raw -F raw "$L/cmp.img" "$U/cmp.img" 2>&1; echo "raw compare after restart rc=$?"
timeout 60 qemu-img compare -f qcow2 -F qcow2 "$L/cmp.qcow2" "$U/cmp.qcow2" 2>&1; echo "qcow2 compare after restart rc=$?"
stop_server
echo "== end"

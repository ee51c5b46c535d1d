#!/usr/bin/env bash
# Nightly backup of a Depot volume with retention (docs/appliance.md, "Backups").
#
# On the appliance, a retention schedule snapshots the volume at midnight UTC and keeps the last KEEP.
# This script, run by cron or a systemd timer after midnight, ships the newest of those snapshots to
# BACKUP_DIR/VOLUME: an incremental stream since the one it shipped last, or a full stream that starts
# a new chain (on the first run, after FULL_EVERY streams, or when the last one shipped was pruned).
# It keeps the newest CHAINS chains. Needs jq.
#
#   nightly-backup.sh VOLUME BACKUP_DIR          env: KEEP=7 FULL_EVERY=7 CHAINS=2 DEPOT=depot
#   restore:  for f in BACKUP_DIR/VOLUME/chain-NAME/*.dbk; do depot snapshot import -i "$f" --volume NEW; done
set -euo pipefail
vol=$1 dir=$2/$1
depot=${DEPOT:-depot} keep=${KEEP:-7} full_every=${FULL_EVERY:-7} chains=${CHAINS:-2}
sched=$vol-daily
mkdir -p "$dir"

$depot schedule show "$sched" >/dev/null 2>&1 || $depot schedule create "$vol" --every daily --keep "$keep" >/dev/null
newest() { $depot schedule show "$sched" --json | jq -r '.snapshots[-1] // empty' | cut -d@ -f2; }
snap=$(newest)
if [[ -z $snap ]]; then $depot schedule run "$sched" >/dev/null; snap=$(newest); fi   # first run: no waiting for midnight

chain=$(ls -d "$dir"/chain-* 2>/dev/null | tail -n 1 || true)
n=0 last=
if [[ -n $chain ]]; then
  n=$(ls "$chain" | wc -l)
  last=$(ls "$chain" | tail -n 1 | sed 's/^[0-9]*-//; s/\.dbk$//')
fi
if [[ $last == "$snap" ]]; then echo "$vol@$snap was shipped already"; exit 0; fi
if [[ -n $last ]] && (( n < full_every )) && $depot snapshot show "$vol@$last" >/dev/null 2>&1; then
  $depot snapshot export "$vol@$snap" --since "$vol@$last" -o "$chain/$(printf %03d "$n")-$snap.dbk"
else
  mkdir -p "$dir/chain-$snap"
  $depot snapshot export "$vol@$snap" -o "$dir/chain-$snap/000-$snap.dbk"
fi
ls -d "$dir"/chain-* | head -n -"$chains" | xargs -r rm -r   # retention on the backup disk

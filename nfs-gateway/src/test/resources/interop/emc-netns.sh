#!/bin/bash
# Runs inside `unshare -n -m`: a private loopback where port 111 is free for the gateway's
# embedded portmapper (EMC's Java client always asks port 111), and a private /run so that the
# host's rpcbind socket is not seen. $1: java executable, $2: classpath, $3: scratch directory
set -u
. "$(dirname "$0")/netns-lib.sh"
private_loopback
exec "$1" -cp "$2" io.depot.nfs.EmcClientScenarioMain "$3/pool" 2>> "$3/server.log"

# Sourced by the interop scenario scripts, which run inside `unshare -n -m`.

# A private loopback (where port 111 is free for the gateway's embedded portmapper, or a real
# rpcbind started here) and a private /run, so that the host's rpcbind socket is not seen.
private_loopback() {
  ip link set lo up
  mount --make-rprivate / 2>/dev/null
  mount -t tmpfs tmpfs /run
}

# start_server CLASS [ARGS...]: the server main CLASS, its input on fd 4 (closing it stops the
# server) and its output on fd 5, echoed up to its READY line; stderr goes to $D/server.log.
start_server() {
  rm -f "$D/ctl" "$D/out"
  mkfifo "$D/ctl" "$D/out"
  "$JAVA" -cp "$CP" "$@" < "$D/ctl" > "$D/out" 2>> "$D/server.log" &
  SERVER=$!
  exec 4> "$D/ctl"
  exec 5< "$D/out"
  while read -r line <&5; do
    echo "$line"
    case $line in READY*) break ;; esac
  done
}

# Stops the server and echoes the rest of its output.
stop_server() {
  exec 4>&-
  cat <&5
  exec 5<&-
  wait "$SERVER"
}

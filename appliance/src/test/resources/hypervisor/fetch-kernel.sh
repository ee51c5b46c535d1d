#!/bin/bash
# Puts a Debian kernel and the modules a guest needs into a cache directory, taken from Debian's
# own package (apt-get download + dpkg-deb -x): nothing comes from anywhere but the package archive.
# The modules asked for are completed with what they depend on (each module's own "depends=" in its
# .modinfo, which is what depmod builds modules.dep from; the package ships no modules.dep), and
# printed in load order, dependencies first, one "module NAME" line each; the kernel's directory
# (CACHE/KVER) is the last line. Modules already in the cache are not fetched again.
# $1: cache directory (e.g. ~/.cache/depot-hv); $2...: modules (default: the virtio disk's)
set -euo pipefail
CACHE=$1
shift
WANTED=("$@")
if (( ${#WANTED[@]} == 0 )); then
  WANTED=(virtio_pci virtio_blk)
fi
# linux-image-amd64 is the metapackage; it depends on exactly one versioned image package
resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
PKG=$(resolve)
if [[ -z "$PKG" ]]; then
  # a fresh machine may have no package lists yet
  apt-get update -qq >/dev/null 2>&1 || true
  PKG=$(resolve)
fi
if [[ -z "$PKG" ]]; then
  echo "cannot resolve the kernel package: apt-cache depends linux-image-amd64 names no linux-image-N package" >&2
  exit 1
fi
KVER=${PKG#linux-image-}
OUT=$CACHE/$KVER
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
EXTRACTED=

# extracts the package into $WORK/x, once
extract() {
  [[ -n "$EXTRACTED" ]] && return 0
  # apt-get download runs as the _apt user where it can: let it write here
  chmod 755 "$WORK"
  (cd "$WORK" && apt-get download "$PKG" >/dev/null 2>&1) || {
    # stale package lists name a version the mirror no longer has
    apt-get update -qq >/dev/null && (cd "$WORK" && apt-get download "$PKG" >/dev/null)
  }
  dpkg-deb -x "$WORK"/"$PKG"_*.deb "$WORK/x"
  EXTRACTED=1
}

# cached M: the module's .ko in the cache, copied (decompressed) from the package if not there yet
cached() {
  local m=$1 f
  if [[ ! -f $OUT/modules/$m.ko ]]; then
    extract
    f=$(find "$WORK/x/lib/modules/$KVER" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -1)
    [[ -n "$f" ]] || { echo "module $m not found in $PKG" >&2; exit 1; }
    mkdir -p "$OUT/modules"
    case $f in
      *.xz) xz -dc "$f" > "$WORK/$m.ko" ;;
      *.zst) zstd -qdc "$f" > "$WORK/$m.ko" ;;
      *) cp "$f" "$WORK/$m.ko" ;;
    esac
    mv "$WORK/$m.ko" "$OUT/modules/$m.ko"   # whole or not at all
  fi
}

# the module's dependencies, from its .modinfo "depends=a,b" string
depends() {
  tr '\0' '\n' < "$OUT/modules/$1.ko" | grep -a -m1 '^depends=' | cut -d= -f2 | tr ',' ' '
}

declare -A VISITED=()
ORDER=()
visit() {
  local m=${1//-/_} d
  [[ -n "${VISITED[$m]:-}" ]] && return 0
  VISITED[$m]=1
  cached "$m"
  for d in $(depends "$m"); do
    visit "$d"
  done
  ORDER+=("$m")
}

if [[ ! -f $OUT/vmlinuz ]]; then
  extract
  mkdir -p "$OUT"
  cp "$WORK/x/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
  mv "$WORK/vmlinuz" "$OUT/vmlinuz"
fi
for m in "${WANTED[@]}"; do
  visit "$m"
done
touch "$OUT/complete"
printf 'module %s\n' "${ORDER[@]}"
echo "$OUT"

#!/bin/bash
# Puts a Debian kernel and the virtio modules a guest needs to see its disk into a cache directory,
# taken from Debian's own package (apt-get download + dpkg-deb -x): nothing comes from anywhere
# but the package archive. Prints the kernel's directory (CACHE/KVER) on its last line.
# $1: cache directory (e.g. ~/.cache/depot-hv)
set -euo pipefail
CACHE=$1
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
MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk)
if [[ -f $OUT/complete ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# apt-get download runs as the _apt user where it can: let it write here
chmod 755 "$WORK"
(cd "$WORK" && apt-get download "$PKG" >/dev/null 2>&1) || {
  # stale package lists name a version the mirror no longer has
  apt-get update -qq >/dev/null && (cd "$WORK" && apt-get download "$PKG" >/dev/null)
}
dpkg-deb -x "$WORK"/"$PKG"_*.deb "$WORK/x"
mkdir -p "$OUT/modules"
cp "$WORK/x/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
for m in "${MODULES[@]}"; do
  f=$(find "$WORK/x/lib/modules/$KVER" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
  [[ -n "$f" ]] || { echo "module $m not found in $PKG" >&2; exit 1; }
  case $f in
    *.xz) xz -dc "$f" > "$OUT/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" > "$OUT/modules/$m.ko" ;;
    *) cp "$f" "$OUT/modules/$m.ko" ;;
  esac
done
printf '%s\n' "${MODULES[@]}" > "$OUT/modules/order"
touch "$OUT/complete"
echo "$OUT"

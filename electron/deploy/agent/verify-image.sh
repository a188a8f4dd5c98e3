#!/bin/sh
# Rackboot deploy agent: reads the image back from the disk after fetch-image.sh (busybox sh, sha256sum, and the
# static helper `extents`). Usage: verify-image.sh DISK VIRTUAL_SIZE, with AGENT_WORK as fetch-image.sh had it.
# Prints the sha256 of every data extent read back, one after the other (Rackboot compares it with the image's);
# where the holes were zeroed by writing zeros rather than by the disk's own write-zeroes, reads them back too and
# exits 1 with the first byte that is not zero.
DISK=$1
VIRTUAL_SIZE=$2
WORK=${AGENT_WORK:-/tmp}/fetch-image

case "$(cat "$WORK/zero" 2>/dev/null)" in
  *method=write-zeroes*) ;;
  *) extents check-zero "$DISK" "$WORK/map" "$VIRTUAL_SIZE" 2>"$WORK/check.err" || {
    echo "a hole of the image does not read back as zero on $DISK: $(tail -n 1 "$WORK/check.err")"
    exit 1
  } ;;
esac
extents read "$DISK" "$WORK/map" | sha256sum | cut -d ' ' -f 1

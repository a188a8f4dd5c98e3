#!/bin/sh
# wipe-metadata.sh DEVICE...: wipes what makes a disk look used, as Ironic's erase_devices_metadata: the first and last
# 128 KiB of each partition (filesystem superblocks, btrfs's at 64 KiB, LVM labels, md RAID superblocks at either end),
# then the first and last MiB of the disk (MBR, GPT and its backup). The rest of the data stays, unreadable without them.
# Exits non-zero with the reason on stdout when a device cannot be written. SYS is /sys unless a test says otherwise.
SYS=${SYS:-/sys}

zero() { # zero DEVICE FIRST_SECTOR COUNT
  [ "$3" -gt 0 ] || return 0
  dd if=/dev/zero of="$1" bs=512 seek="$2" count="$3" conv=notrunc,fsync 2>/tmp/wipe.err ||
    { echo "could not write to $1 at sector $2: $(grep -v records /tmp/wipe.err | tail -n 1)"; exit 1; }
}

# zero_ends DEVICE START SECTORS SPAN: the first and last SPAN sectors of the range (all of it when it is smaller).
zero_ends() {
  if [ "$3" -le $(($4 * 2)) ]; then
    zero "$1" "$2" "$3"
  else
    zero "$1" "$2" "$4"
    zero "$1" $(($2 + $3 - $4)) "$4"
  fi
}

for device in "$@"; do
  name=${device##*/}
  block=$SYS/block/$name
  sectors=$(cat "$block/size" 2>/dev/null) || { echo "no disk $device"; exit 1; }
  for part in "$block/$name"*; do
    [ -r "$part/start" ] || continue
    zero_ends "$device" "$(cat "$part/start")" "$(cat "$part/size")" 256
  done
  zero_ends "$device" 0 "$sectors" 2048
  # The kernel forgets the partitions it had read, so nothing mounts them by mistake before the write.
  blockdev --rereadpt "$device" 2>/dev/null
done
exit 0

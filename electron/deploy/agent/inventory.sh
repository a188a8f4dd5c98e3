#!/bin/sh
# Prints what this server is made of as key=value lines (docs/agent-api.md, "Inventory report"): raw facts from sysfs
# and procfs and sampled bytes of every disk (base64). Rackboot reads them (electron/deploy/inventory-report.ts):
# partition tables and filesystems are parsed there, not here. The switch's LLDP comes apart (agent/lldp.sh).
# INVENTORY_ROOT points it at a fake tree (tests); the ramdisk uses /.
ROOT=${INVENTORY_ROOT:-}
SYS=$ROOT/sys

# key=value from the first line of a file, when the file exists and reads.
fact() {
  [ -r "$2" ] || return 0
  line=$(head -n 1 "$2" 2>/dev/null) || return 0
  echo "$1=$line"
}

# The first bytes (or a range) of a device, base64 on one line.
sample() { # sample DEVICE SKIP_SECTORS COUNT_SECTORS
  dd if="$1" bs=512 skip="$2" count="$3" 2>/dev/null | base64 -w 0
  echo
}

hex() { od -An -tx1 -v "$1" 2>/dev/null | tr -d ' \n'; }

# Physical NICs only (a device behind them): agent/lldp.sh has brought them up, so their link shows.
NICS=
for dir in "$SYS"/class/net/*; do
  [ -e "$dir/device" ] && NICS="$NICS ${dir##*/}"
done

echo "arch=$(uname -m)"
if [ -d "$SYS/firmware/efi" ]; then echo "boot=uefi"; else echo "boot=bios"; fi
for key in sys_vendor product_name product_serial product_uuid; do fact "dmi.$key" "$SYS/class/dmi/id/$key"; done

echo "cpu.model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' "$ROOT/proc/cpuinfo" | head -n 1)"
echo "cpu.threads=$(grep -c '^processor' "$ROOT/proc/cpuinfo")"
echo "cpu.sockets=$(cat "$SYS"/devices/system/cpu/cpu[0-9]*/topology/physical_package_id 2>/dev/null | sort -u | wc -l)"
echo "cpu.cores=$(for cpu in "$SYS"/devices/system/cpu/cpu[0-9]*/topology; do echo "$(cat "$cpu/physical_package_id") $(cat "$cpu/core_id")"; done 2>/dev/null | sort -u | wc -l)"
echo "memory.kib=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' "$ROOT/proc/meminfo")"
if [ -r "$SYS/devices/system/memory/block_size_bytes" ]; then
  echo "memory.block_bytes=$(cat "$SYS/devices/system/memory/block_size_bytes")"
  echo "memory.blocks_online=$(cat "$SYS"/devices/system/memory/memory*/online 2>/dev/null | grep -c 1)"
fi

for block in "$SYS"/block/*; do
  name=${block##*/}
  case "$name" in loop* | ram* | zram* | dm-* | md* | nbd* | fd*) continue ;; esac
  sectors=$(cat "$block/size" 2>/dev/null) || continue
  path=$(readlink -f "$block")
  echo "disk.$name.path=${path#"$SYS"}"
  echo "disk.$name.sectors=$sectors"
  fact "disk.$name.removable" "$block/removable"
  fact "disk.$name.ro" "$block/ro"
  fact "disk.$name.rotational" "$block/queue/rotational"
  fact "disk.$name.sector_bytes" "$block/queue/logical_block_size"
  fact "disk.$name.model" "$block/device/model"
  fact "disk.$name.vendor" "$block/device/vendor"
  fact "disk.$name.serial" "$block/device/serial"
  fact "disk.$name.serial" "$block/serial"
  fact "disk.$name.wwid" "$block/wwid"
  fact "disk.$name.wwid" "$block/device/wwid"
  [ -r "$block/device/vpd_pg80" ] && echo "disk.$name.vpd80=$(hex "$block/device/vpd_pg80")"
  # A USB disk's serial is the USB device's, some levels above the disk.
  up=$(readlink -f "$block/device" 2>/dev/null)
  while [ -n "$up" ] && [ "$up" != "$SYS" ] && [ "$up" != / ]; do
    if [ -r "$up/idVendor" ]; then fact "disk.$name.usb_serial" "$up/serial"; break; fi
    up=${up%/*}
  done
  device=$ROOT/dev/$name
  [ -e "$device" ] || continue
  # The start (GPT and filesystem superblocks, btrfs's at 64 KiB) and the end (the backup GPT) of the disk.
  head_sectors=256
  [ "$sectors" -lt 256 ] && head_sectors=$sectors
  echo "disk.$name.head=$(sample "$device" 0 "$head_sectors")"
  tail_sectors=128
  [ "$sectors" -lt 128 ] && tail_sectors=$sectors
  echo "disk.$name.tail=$(sample "$device" $((sectors - tail_sectors)) "$tail_sectors")"
  for part in "$block/$name"*; do
    [ -r "$part/partition" ] || continue
    part_name=${part##*/}
    start=$(cat "$part/start")
    size=$(cat "$part/size")
    echo "part.$name.$part_name=$(cat "$part/partition") $start $size"
    count=256
    [ "$size" -lt 256 ] && count=$size
    echo "part.$name.$part_name.head=$(sample "$device" "$start" "$count")"
  done
done

for nic in $NICS; do
  dir=$SYS/class/net/$nic
  fact "nic.$nic.mac" "$dir/address"
  driver=$(readlink "$dir/device/driver" 2>/dev/null) && echo "nic.$nic.driver=${driver##*/}"
  device=$(readlink -f "$dir/device" 2>/dev/null) && echo "nic.$nic.device=${device#"$SYS"}"
  fact "nic.$nic.carrier" "$dir/carrier"
  fact "nic.$nic.speed" "$dir/speed"
done

#!/bin/sh
# Rackboot deploy agent: runs as /init of the deploy ramdisk (busybox sh), writes the node's image to its disk and
# reports to Rackboot over HTTP. Protocol: docs/agent-api.md. Kernel command line: rackboot.url= rackboot.token=
# rackboot.mac= (or BOOTIF=01-aa-bb-…, as iPXE's ${mac} gives it).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

[ -x /bin/busybox ] && /bin/busybox --install -s /bin 2>/dev/null
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null

console() { echo "rackboot-agent: $*" > /dev/console 2>/dev/null || echo "rackboot-agent: $*"; }

param() {
  for word in $(cat /proc/cmdline); do
    case "$word" in "$1"=*) echo "${word#*=}" ;; esac
  done
}

URL=$(param rackboot.url)
TOKEN=$(param rackboot.token)
MAC=$(param rackboot.mac)
[ -z "$MAC" ] && MAC=$(param BOOTIF | sed 's/^01-//; s/-/:/g')
MAC=$(echo "$MAC" | tr 'A-F' 'a-f')
QUERY="mac=$MAC&token=$TOKEN"
REPORTING=

# No `wget -T`: busybox 1.35 (Debian 12's busybox-static) segfaults with it.
report() { # report PATH BODY: best effort, the write goes on even if a report is lost
  wget -q -O /dev/null --post-data "$2" "$URL/agent/v1/$1?$QUERY" 2>/dev/null
}

log() {
  console "$*"
  [ -n "$REPORTING" ] && report log "$*"
}

fail() {
  log "FAILED: $*"
  report failed "reason=$*"
  halt_forever
}

halt_forever() {
  while :; do sleep 3600; done
}

# Loads the driver of every device the kernel has found (busybox modprobe matches each device's modalias against
# modules.alias). A bus driver it loads can reveal more devices (virtio_pci: the virtio NIC and disk; ahci: its disks),
# so it looks again until no new device turns up; it is called again while waiting for the NIC and the disk, for
# devices that show up late. Loaded modules are skipped by modprobe, so a call that finds nothing new is cheap.
DEVICES_SEEN=
DEVICES_CHANGED_AT=
load_drivers() {
  modules="/lib/modules/$(uname -r)"
  # An operator's initrd may carry modules without an index: busybox depmod writes modules.dep and modules.alias.
  [ -f "$modules/modules.alias" ] || [ ! -d "$modules" ] || depmod 2>/dev/null
  [ -f "$modules/modules.alias" ] || return 0
  while :; do
    devices=$(cat /sys/bus/*/devices/*/modalias 2>/dev/null | sort -u)
    [ "$devices" = "$DEVICES_SEEN" ] && return 0
    # Only the devices not asked for yet (every one when DEVICES_SEEN was emptied for new drivers): each modprobe
    # matches its arguments against the whole modules.alias, a quarter of a second under emulation.
    new=$(echo "$devices" | grep -vxF "$DEVICES_SEEN")
    DEVICES_SEEN=$devices
    DEVICES_CHANGED_AT=$(now_cs)
    # One argument per modalias, and no file name expansion of them.
    set -f
    # shellcheck disable=SC2086
    modprobe -a -q $new 2>/dev/null
    set +f
  done
}

# The built-in ramdisk boots with no driver but its boot NIC's (iPXE fetched those by the NIC's bus id): the drivers of
# every other device come from Rackboot, chosen by the modaliases the kernel shows, until no new device turns up. A
# ramdisk that carries its own drivers gets 404 and is not asked again; either way what the ramdisk holds is loaded.
DRIVERS_ASKED=
DRIVERS_FROM_RACKBOOT=yes
fetch_drivers() {
  while [ -n "$DRIVERS_FROM_RACKBOOT" ]; do
    cat /sys/bus/*/devices/*/modalias 2>/dev/null | sort -u > /tmp/modaliases
    [ "$(cat /tmp/modaliases)" = "$DRIVERS_ASKED" ] && break
    if ! answer=$(wget -q -O /tmp/drivers.cpio --post-file /tmp/modaliases "$URL/deploy/drivers.cpio?mac=$MAC" 2>&1); then
      # Not found: this ramdisk brings its own. Anything else (the network) is asked again on the next call.
      case "$answer" in *" 404 "*) DRIVERS_FROM_RACKBOOT= ;; esac
      break
    fi
    DRIVERS_ASKED=$(cat /tmp/modaliases)
    (cd / && cpio -i -d -u < /tmp/drivers.cpio 2>/dev/null)
    rm -f /tmp/drivers.cpio
    DEVICES_SEEN=
    load_drivers
  done
  load_drivers
}

# Waits up to 30 s in short steps: the NIC usually appears the moment its driver loads.
find_interface() {
  tries=0
  while [ $tries -lt 300 ]; do
    for dir in /sys/class/net/*; do
      [ "$(cat "$dir/address" 2>/dev/null)" = "$MAC" ] && { basename "$dir"; return 0; }
    done
    tries=$((tries + 1))
    sleep 0.1
    load_drivers
  done
  return 1
}

# A disk the kernel has found but not yet made a block device of: a USB mass-storage interface (class 08, which
# usb-storage scans only after delay_use, 1 s), a SCSI/SATA disk sd has not attached yet (it probes in the background),
# or an NVMe controller still starting (its namespaces come once it is live).
disk_pending() {
  for class in /sys/bus/usb/devices/*:*/bInterfaceClass; do
    [ "$(cat "$class" 2>/dev/null)" = 08 ] || continue
    interface=${class%/bInterfaceClass}
    ls -d "$interface"/host*/target*/*/block/* >/dev/null 2>&1 || return 0
  done
  for device in /sys/bus/scsi/devices/*:*:*:*; do
    [ "$(cat "$device/type" 2>/dev/null)" = 0 ] || continue
    [ -d "$device/block" ] || return 0
  done
  for state in /sys/class/nvme/*/state; do
    [ -e "$state" ] && [ "$(cat "$state")" != live ] && return 0
  done
  return 1
}

# Centiseconds since boot, without a fork.
now_cs() {
  read -r up _ < /proc/uptime
  echo "${up%.*}${up#*.}"
}

# Disks that show up after the NIC (a USB stick; an HBA still scanning its ports) belong in the inventory: waits until
# no disk is pending and no new device or disk has turned up for half a second (counted from the last time drivers
# were loaded, which is when new devices come), 15 s at most.
settle_disks() {
  start=$(now_cs)
  changed=${DEVICES_CHANGED_AT:-$start}
  disks=$(ls /sys/block)
  while :; do
    before=$DEVICES_SEEN
    fetch_drivers
    now=$(ls /sys/block)
    at=$(now_cs)
    if [ "$now" != "$disks" ] || [ "$DEVICES_SEEN" != "$before" ]; then
      disks=$now
      changed=$at
    fi
    [ $((at - changed)) -ge 50 ] && ! disk_pending && return 0
    [ $((at - start)) -ge 1500 ] && return 0
    sleep 0.1
  done
}

job_value() { sed -n "s/^$1=//p" /tmp/job | head -n 1; }

[ -n "$URL" ] && [ -n "$TOKEN" ] && [ -n "$MAC" ] || { console "missing rackboot.url, rackboot.token or the MAC on the kernel command line"; halt_forever; }
console "starting for $MAC, server $URL"
load_drivers
IFACE=$(find_interface) || { console "no network interface with MAC $MAC: is its driver in the ramdisk?"; halt_forever; }
ip link set lo up
ip link set "$IFACE" up
udhcpc -i "$IFACE" -t 10 -T 2 -q -n -s /etc/rackboot/udhcpc.sh >/dev/null 2>&1 || { console "no DHCP lease on $IFACE"; halt_forever; }
fetch_drivers
console "drivers loaded: $(cut -d ' ' -f 1 /proc/modules | tr '\n' ' ')"
# The switch's LLDP is listened for in the background (3 s at most) on every NIC that now has its driver, while the
# agent takes the inventory and writes: it is reported on its own (report_lldp), so no deploy waits for a silent switch.
( sh /etc/rackboot/lldp.sh 3 > /tmp/lldp.partial 2>/dev/null; mv /tmp/lldp.partial /tmp/lldp ) &

# What this server is made of (inventory.sh): collected once, before anything is written.
settle_disks
sh /etc/rackboot/inventory.sh > /tmp/inventory 2>/dev/console
console "inventory collected ($(wc -c < /tmp/inventory) bytes)"

# Sends the inventory, then asks for the job Rackboot makes from it (the target disk is chosen from the inventory);
# until both pass: a refusal or an unreachable server can pass (Rackboot logs each refusal with its reason), so it
# tries again after 2, 4, 8, 16, then every 30 s, until Rackboot reboots the server or it gets one.
fetch_job() {
  pause=2
  until wget -q -O /dev/null --post-file /tmp/inventory "$URL/agent/v1/inventory?$QUERY" && wget -q -O /tmp/job "$URL/agent/v1/job?$QUERY"; do
    console "Rackboot at $URL gave no job for $MAC (no job yet, or the token was refused); asking again in $pause s"
    sleep "$pause"
    pause=$((pause * 2))
    [ "$pause" -gt 30 ] && pause=30
  done
}
# The LLDP frames heard (none when no switch spoke), once the listening window has ended.
report_lldp() {
  while [ ! -e /tmp/lldp ]; do sleep 0.2; done
  wget -q -O /dev/null --post-file /tmp/lldp "$URL/agent/v1/lldp?$QUERY" 2>/dev/null
}

fetch_job
REPORTING=1
if [ "$(job_value action)" = inspect ]; then
  report_lldp
  log "inspection: inventory and LLDP sent, nothing to write; waiting to be powered off"
  halt_forever
fi
report_lldp &
IMAGE_URL=$(job_value image_url)
IMAGE_MAP_URL=$(job_value image_map_url)
IMAGE_FORMAT=$(job_value image_format)
IMAGE_SIZE=$(job_value image_size)
VIRTUAL_SIZE=$(job_value virtual_size)
DISK=$(job_value disk)
log "job received: $IMAGE_SIZE data bytes of a $VIRTUAL_SIZE-byte image ($IMAGE_FORMAT) to $DISK, over $IFACE"

# Rackboot chose the disk from the inventory this agent sent; it was there a moment ago.
[ -b "$DISK" ] || fail "target disk $DISK is gone since the inventory (disks now: $(ls /sys/block | tr '\n' ' '))"
log "target disk $DISK ($(cat /sys/block/${DISK#/dev/}/size 2>/dev/null) sectors)"
CLEAN=$(job_value clean)
if [ -n "$CLEAN" ] && [ "$CLEAN" != none ]; then
  REASON=$(sh /etc/rackboot/wipe-metadata.sh $(echo "$CLEAN" | tr ',' ' ') 2>/dev/console) || fail "cleaning: $REASON"
  log "wiped partition tables and filesystem signatures of $(echo "$CLEAN" | tr ',' ' ')"
fi
# The config drive is planned for this disk before the image goes on it, so a refusal leaves the disk as it was.
CONFIG_DRIVE=$(AGENT_API="$URL/agent/v1" AGENT_QUERY="$QUERY" sh /etc/rackboot/config-drive.sh plan "$DISK") || fail "config drive: $CONFIG_DRIVE"
[ -n "$CONFIG_DRIVE" ] && log "$CONFIG_DRIVE"
report progress "written=0"

# Writes the image's data extents and zeroes its holes, says when the transfer stalls, and resumes it (fetch-image.sh).
REFUSAL=$(AGENT_API="$URL/agent/v1" AGENT_QUERY="$QUERY" sh /etc/rackboot/fetch-image.sh "$IMAGE_URL" "$IMAGE_MAP_URL" "$IMAGE_SIZE" "$VIRTUAL_SIZE" "$DISK" 2>/dev/console) ||
  fail "writing the image to $DISK: $REFUSAL"
sync
echo 3 > /proc/sys/vm/drop_caches
report progress "written=$IMAGE_SIZE"
log "image written, reading it back from $DISK"
# Every data byte, and the holes where the disk gave no guarantee that they read as zero (verify-image.sh).
SUM=$(sh /etc/rackboot/verify-image.sh "$DISK" "$VIRTUAL_SIZE") || fail "image read-back: $SUM"
# After the read-back: the config drive rewrites the partition table's sectors, which the image's sum does not cover.
CONFIG_DRIVE=$(AGENT_API="$URL/agent/v1" AGENT_QUERY="$QUERY" sh /etc/rackboot/config-drive.sh write "$DISK") || fail "config drive: $CONFIG_DRIVE"
[ -n "$CONFIG_DRIVE" ] && log "$CONFIG_DRIVE"
report result "sha256=$SUM"
log "done: sha256 $SUM; waiting to be rebooted"
halt_forever

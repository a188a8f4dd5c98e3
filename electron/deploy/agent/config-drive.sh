#!/bin/sh
# The config drive step of the deploy agent (docs/agent-api.md). Rackboot computes everything (the partition table
# around the image, the config-2 file system); the agent only says how big the disk is and writes sectors.
#   config-drive.sh plan DISK   before the image is written: asks for the regions for this disk, fetches and checks
#                               them into /tmp; a refusal (no free partition slot, no room) stops the deploy here
#   config-drive.sh write DISK  after the image is written and read back: writes the regions, reads each back and
#                               reports their sums
# Prints one line for the deploy log on stdout (the reason when it exits 1). Needs AGENT_API and AGENT_QUERY.
DIR=/tmp/config-drive

value() { sed -n "s/^$1=//p" "$DIR/plan" | head -n 1; }

plan() {
  name=${1#/dev/}
  sectors=$(cat "/sys/block/$name/size" 2>/dev/null)
  sector_size=$(cat "/sys/block/$name/queue/logical_block_size" 2>/dev/null || echo 512)
  [ -n "$sectors" ] || { echo "cannot read the size of $1 from /sys/block/$name/size"; exit 1; }
  mkdir -p "$DIR"
  wget -q -O "$DIR/plan" "$AGENT_API/config-drive?$AGENT_QUERY&disk_sectors=$sectors&sector_size=$sector_size" ||
    { echo "Rackboot did not answer the config drive request"; exit 1; }
  refused=$(value refused)
  [ -n "$refused" ] && { echo "$refused"; exit 1; }
  [ "$(value config_drive)" = none ] && exit 0
  index=0
  for region in $(sed -n 's/^region=//p' "$DIR/plan"); do
    expected=${region#*:}
    wget -q -O - "$AGENT_API/config-drive-region?$AGENT_QUERY&index=$index" | base64 -d > "$DIR/region.$index" ||
      { echo "could not fetch config drive region $index"; exit 1; }
    [ "$(sha256sum < "$DIR/region.$index" | cut -d ' ' -f 1)" = "$expected" ] ||
      { echo "config drive region $index arrived damaged (sha256 differs)"; exit 1; }
    index=$((index + 1))
  done
  echo "config drive: $(value summary) ($index regions fetched, written after the image)"
}

write() {
  [ -f "$DIR/plan" ] || exit 0
  [ "$(value config_drive)" = none ] && exit 0
  index=0
  sums=
  for region in $(sed -n 's/^region=//p' "$DIR/plan"); do
    lba=${region%%:*}
    file="$DIR/region.$index"
    dd if="$file" of="$1" bs=512 seek="$lba" conv=notrunc,fsync 2>/dev/null || { echo "writing config drive region $index at sector $lba of $1 failed"; exit 1; }
    index=$((index + 1))
  done
  sync
  echo 3 > /proc/sys/vm/drop_caches
  index=0
  for region in $(sed -n 's/^region=//p' "$DIR/plan"); do
    lba=${region%%:*}
    count=$(($(wc -c < "$DIR/region.$index") / 512))
    sum=$(dd if="$1" bs=512 skip="$lba" count="$count" iflag=direct 2>/dev/null | sha256sum | cut -d ' ' -f 1)
    sums="${sums}region=$lba:$sum
"
    index=$((index + 1))
  done
  wget -q -O /dev/null --post-data "$sums" "$AGENT_API/config-drive-written?$AGENT_QUERY" ||
    { echo "could not report the config drive written"; exit 1; }
  echo "config drive written: $(value summary)"
}

case "$1" in
  plan) plan "$2" ;;
  write) write "$2" ;;
  *) echo "usage: config-drive.sh plan|write DISK"; exit 1 ;;
esac

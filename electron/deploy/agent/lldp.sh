#!/bin/sh
# Brings every physical NIC up and listens for the frame a switch announces itself with over LLDP, for at most
# LLDP_SECONDS (lldp-listen ends sooner once every NIC has heard one). Prints one `lldp.NIC=HEX` line per NIC that
# heard a switch (docs/agent-api.md, "LLDP report"); Rackboot parses the frames (electron/deploy/lldp.ts).
# Usage: lldp.sh [LLDP_SECONDS]. INVENTORY_ROOT points it at a fake tree (tests); the ramdisk uses /.
ROOT=${INVENTORY_ROOT:-}
LLDP_SECONDS=${1:-3}

# Physical NICs only (a device behind them), up so their link comes and a switch's frames reach them.
NICS=
for dir in "$ROOT"/sys/class/net/*; do
  [ -e "$dir/device" ] || continue
  NICS="$NICS ${dir##*/}"
  [ -z "$ROOT" ] && ip link set "${dir##*/}" up 2>/dev/null
done
[ -n "$NICS" ] && [ "$LLDP_SECONDS" -gt 0 ] && command -v lldp-listen >/dev/null 2>&1 || exit 0

# shellcheck disable=SC2086
lldp-listen "$LLDP_SECONDS" $NICS 2>/dev/null | while read -r nic frame; do
  [ -n "$frame" ] && echo "lldp.$nic=$frame"
done

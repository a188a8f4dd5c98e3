#!/bin/sh
# Installs the Debian packages the lab and the reference tools of the lab tests need. Idempotent: asks apt only
# when something is missing. Without root it changes nothing and says so in one line (the lab tests then skip).
set -eu

# The lab: BMC simulator, IPMI client, emulator with iPXE ROMs and UEFI firmware, captures, initramfs tools.
# Reference peers the lab tests use: dnsmasq (DHCP/TFTP), TFTP clients and atftpd, ISC dhclient, busybox udhcpc.
# tftpd-hpa is left out on purpose: it conflicts with atftpd.
PACKAGES="iproute2 kmod cpio gzip busybox-static openipmi ipmitool freeipmi-tools qemu-system-x86 ipxe ipxe-qemu
ovmf tcpdump dnsmasq-base tftp-hpa atftp atftpd isc-dhcp-client udhcpc curl"

missing=""
for package in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $package"
done

if [ -z "$missing" ]; then
    echo "lab setup: all Debian packages present."
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "lab setup: not root, so nothing installed (missing:$missing); the lab tests will skip."
    exit 0
fi

# Services that an install starts on its own; the tests start their own instances inside namespaces.
# (`service atftpd status` answers 0 even when nothing runs, so look for the daemon itself.)
atftpd_was_running=no
if pgrep -x atftpd >/dev/null; then atftpd_was_running=yes; fi

echo "lab setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

if [ "$atftpd_was_running" = no ] && pgrep -x atftpd >/dev/null; then
    echo "lab setup: stopping the atftpd service the install started."
    service atftpd stop || true
fi

#!/usr/bin/env bash
# Installs the Debian packages the tests and the virtual lab need, only those missing, only when running as root.
set -euo pipefail

PACKAGES=(
  chromium            # the real renderer under test (Playwright drives /usr/bin/chromium)
  iproute2            # network namespaces for every network test
  openipmi ipmitool freeipmi-tools   # BMC simulator and reference IPMI clients
  qemu-system-x86 ovmf ipxe ipxe-qemu # simulated servers, UEFI firmware, iPXE loaders and NIC ROMs
  dnsmasq-base tftp-hpa atftp atftpd curl isc-dhcp-client udhcpc  # reference DHCP/TFTP peers
  busybox-static cpio gzip kmod tcpdump  # deploy ramdisk, module dependencies (depmod) and packet capture
  syslinux syslinux-common syslinux-efi mtools dosfstools  # the BIOS + UEFI bootable test image the deploy tests write
  iputils-arping                      # the address-in-use probe (arping -D) of the network setup
  sudo                                # starts the privileged helper for an unprivileged Rackboot in the lab (pkexec needs polkit)
  gcc libc6-dev                       # compiles Rackboot's Node-API addons (interface-bound DHCP socket, TFTP data pump)
  mmdebstrap e2fsprogs gdisk fdisk qemu-utils  # the lab's Debian cloud image (root tree, ext4, GPT, qcow2 conversion)
  genisoimage openssh-client          # reads config drives back (isoinfo); logs in to the deployed cloud image
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "debian packages: all ${#PACKAGES[@]} present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "debian packages: missing ${missing[*]} and not root: install them with sudo apt-get install ${missing[*]}; tests that need them will skip"
  exit 0
fi
echo "debian packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts these as system services on install; the tests start their own instances.
for service in atftpd tftpd-hpa; do service "$service" stop >/dev/null 2>&1 || true; done

#!/usr/bin/env bash
# Installs the Debian packages the tests and the virtual lab need, only those missing, only when running as root.
set -euo pipefail

PACKAGES=(
  chromium            # the real renderer under test (Playwright drives /usr/bin/chromium)
  iproute2            # network namespaces for every network test
  openipmi ipmitool freeipmi-tools   # BMC simulator and reference IPMI clients
  qemu-system-x86 ovmf ipxe ipxe-qemu # simulated servers, UEFI firmware, iPXE loaders and NIC ROMs
  # Reference DHCP/TFTP peers. Not atftpd: ironic-conductor depends on tftpd-hpa, which conflicts with it, so apt
  # refuses the whole list; the TFTP benchmark unpacks atftpd's package into its cache instead (bench/atftpd.ts).
  dnsmasq-base tftp-hpa atftp curl isc-dhcp-client udhcpc
  busybox-static cpio gzip kmod tcpdump  # deploy ramdisk, module dependencies (depmod) and packet capture
  syslinux syslinux-common syslinux-efi mtools dosfstools  # the BIOS + UEFI bootable test image the deploy tests write
  iputils-arping                      # the address-in-use probe (arping -D) of the network setup
  sudo                                # starts the privileged helper for an unprivileged Rackboot in the lab (pkexec needs polkit)
  gdisk e2fsprogs xfsprogs btrfs-progs ntfs-3g genisoimage  # disks with partition tables and filesystems (inventory tests)
  lldpd                               # a switch that announces itself over LLDP (the inventory's neighbour)
  qemu-utils xz-utils zstd            # qemu-img, xz and zstd make the images the format readers are tested with
  gcc libc6-dev                       # compiles Rackboot's Node-API addons (interface-bound DHCP socket, TFTP data pump)
  python3-flask python3-tenacity python3-bcrypt python3-webob python3-requests python3-pbr  # sushy-tools, the Redfish BMC emulator
  redfishtool python3-sushy openssl   # reference Redfish clients (DMTF's CLI, Ironic's library) and the emulator's TLS certificate
  ironic-api ironic-conductor python3-ironicclient python3-openstackclient  # the real Ironic the hand-off enrols into (bcrypt: its htpasswd)
  gpgv debian-archive-keyring         # the built-in ramdisk's build checks bookworm's InRelease signature
  mmdebstrap fdisk                    # the lab's Debian cloud image (root tree, partition table)
  openssh-client                      # logs in to the deployed cloud image
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
# Ironic's packages would start ironic-api and ironic-conductor as system services (and fail without a database):
# a policy-rc.d that answers 101 ("action forbidden") keeps invoke-rc.d from starting anything during this install.
# The tests start their own Ironic. An existing policy-rc.d is put back afterwards.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then saved="$(mktemp)"; cp -p "$policy" "$saved"; fi
restore_policy() { if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi; }
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
restore_policy
trap - EXIT
# Debian starts these as system services on install; the tests start their own instances.
for service in tftpd-hpa lldpd; do service "$service" stop >/dev/null 2>&1 || true; done

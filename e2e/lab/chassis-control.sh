#!/bin/sh
# The power and boot-device side of a simulated server: ipmi_sim runs it for chassis commands (`chassis_control`
# in lan.conf) as
#   chassis-control.sh SERVER_DIR get PARM...          prints PARM:VALUE per line (power: 0|1, boot: none|pxe|default|cdrom|bios)
#   chassis-control.sh SERVER_DIR set PARM VALUE...    power 0|1, reset 1, shutdown 1, boot NAME, identify SECONDS FORCE
#
# What ipmi_sim 2.0.33 passes (checked against its bmc_chassis.c and by running it): Set System Boot Options
# parameter 5 reaches us as `set boot NAME` with only the device selector (byte 2, bits 5:2) mapped to a name:
# pxe, default (= disk), cdrom, bios, none. The persistent bit (byte 1, bit 6) and the EFI bit (bit 5) are dropped,
# and Get Boot Options always reports "next boot only". So this BMC behaves like the IPMI default: an override is
# used by the next power-on and then falls back to `default` (disk) — unless the lab was started with
# persistentBootDevice, which keeps it (PERSISTENT_BOOT_DEVICE=yes in server.env).
#
# QEMU runs in the background in the rack namespace (inherited from ipmi_sim); its pid is in SERVER_DIR/qemu.pid.
# The power state is "that QEMU is alive", so a guest that powers itself off reads as off. Its serial port connects
# to the lab's serial relay (serial-relay.ts), which ipmi_sim's SOL stays connected to, and is logged to SERIAL_LOG.
set -u

dir=$1
op=$2
shift 2
# shellcheck source=/dev/null
. "$dir/server.env"

event() {
    printf '%s %s\n' "$(date -u +%H:%M:%S.%N | cut -c1-12)" "$*" >>"$dir/events.log"
}

# Our QEMU is alive: a recycled pid does not count (ours carries this server's UUID on its command line), and
# neither does a zombie (empty command line) — QEMU is orphaned once this script exits, and pid 1 may be slow to reap.
is_our_qemu() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "-uuid $UUID"
}

running_pid() {
    pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && is_our_qemu "$pid" || return 1
    echo "$pid"
}

boot_device() {
    cat "$dir/boot-device" 2>/dev/null || echo default
}

power_on() {
    if running_pid >/dev/null; then
        return 0
    fi
    device=$(boot_device)
    if [ "$device" = pxe ]; then
        nic_boot=',bootindex=1'
        disk_boot=',bootindex=2'
    else
        # strict=on below: the NIC is not in the boot order at all, so a disk boot never falls back to PXE.
        nic_boot=''
        disk_boot=',bootindex=1'
    fi
    if [ "$PERSISTENT_BOOT_DEVICE" != yes ]; then
        echo default >"$dir/boot-device"
    fi
    firmware_args=''
    if [ "$FIRMWARE" = uefi ]; then
        firmware_args="-bios $OVMF"
    fi
    # An empty romfile leaves the NIC without QEMU's iPXE ROM: the firmware's own PXE (OVMF's) boots it instead.
    nic_rom=''
    if [ "${NIC_ROM:-ipxe}" = none ]; then
        nic_rom=',romfile='
    fi
    event "power on: boot device $device, firmware $FIRMWARE, NIC ROM ${NIC_ROM:-ipxe}"
    # OTHER_ARGS (a server with more hardware, server-hardware.ts): disk controllers (before the boot disk, which may sit
    # on one), more disks, SMBIOS fields; plain words, split on spaces on purpose.
    # -nographic (with our own -serial) makes the firmware and iPXE print on the serial port as well.
    # ipmi_sim leaks descriptors (its SOL socket among them) into this script; QEMU gets none of them.
    # shellcheck disable=SC2086
    qemu-system-x86_64 -name "rackboot-lab-$SERVER_NAME" -m "$MEMORY_MIB" -smp 1 \
        -nodefaults -nographic -monitor none $firmware_args \
        -uuid "$UUID" \
        -netdev "tap,id=net0,ifname=$TAP,script=no,downscript=no" \
        -device "virtio-net-pci,netdev=net0,mac=$MAC$nic_rom$nic_boot" \
        ${OTHER_ARGS:-} \
        -drive "file=$DISK,format=raw,if=none,id=${BOOT_DRIVE:-disk0}" \
        -device "${BOOT_DEVICE:-virtio-blk-pci,drive=disk0}$disk_boot" \
        -boot strict=on \
        -chardev "socket,id=serial0,host=127.0.0.1,port=$SERIAL_PORT,logfile=$SERIAL_LOG,logappend=on" \
        -serial chardev:serial0 \
        </dev/null >>"$dir/qemu.log" 2>&1 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
    echo $! >"$dir/qemu.pid"
}

# Must return well within a second: ipmi_sim waits for this script, and ipmitool resends a request it has no answer
# to after about a second — a resent reset would restart the machine twice.
power_off() {
    pid=$(running_pid) || return 0
    event "power off"
    kill "$pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        is_our_qemu "$pid" || break
        sleep 0.05
    done
    is_our_qemu "$pid" && kill -9 "$pid" 2>/dev/null
    rm -f "$dir/qemu.pid"
}

do_get() {
    for parm in "$@"; do
        case $parm in
        power)
            if running_pid >/dev/null; then echo power:1; else echo power:0; fi
            ;;
        boot)
            echo "boot:$(boot_device)"
            ;;
        *)
            echo "Invalid parameter: $parm"
            exit 1
            ;;
        esac
    done
}

do_set() {
    while [ $# -ge 2 ]; do
        parm=$1
        value=$2
        shift 2
        case $parm in
        power)
            if [ "$value" = 1 ]; then power_on; else power_off; fi
            ;;
        reset)
            # A reset restarts the machine, so it boots from the current boot device like a power-on does.
            if running_pid >/dev/null; then
                event "reset"
                power_off
                power_on
            fi
            ;;
        shutdown)
            # The lab's guests run no ACPI daemon, so a soft off would never finish: treat it as a hard off.
            event "soft off requested"
            power_off
            ;;
        boot)
            case $value in
            none | pxe | default | cdrom | bios) ;;
            *)
                echo "Invalid boot value: $value"
                exit 1
                ;;
            esac
            echo "$value" >"$dir/boot-device"
            event "boot device $value"
            ;;
        identify)
            # Identify carries two values (interval, force); the chassis has no light to blink.
            event "identify for $value s"
            [ $# -ge 1 ] && shift
            ;;
        *)
            echo "Invalid parameter: $parm"
            exit 1
            ;;
        esac
    done
}

case $op in
get) do_get "$@" ;;
set) do_set "$@" ;;
*)
    echo "Unknown operation: $op"
    exit 1
    ;;
esac

/** The virtual rack for tests: see e2e/lab/README.md. */
export { SERVER_SIZED_DISK_MIB, startLab, stopLab, describeLab, type Lab, type LabDescription, type LabServer, type StartLabOptions } from './lab';
export { buildInitramfs, buildMarkerInitramfs, downloadDebianPackage, ensureKernel, ensureKernelPackageFile, labCacheDir, ovmfPath, type InitramfsFile, type InitramfsSpec, type Kernel } from './boot-materials';
export { PacketCapture } from './capture';
export { ipmitool, type BmcAccess } from './ipmitool';
export { clientUuid, dhcpMessageTypeName, dhcpMessages, parsePcap, type CapturedFrame, type DhcpMessage } from './pcap';
export { uuidToSmbiosBytes, smbiosBytesToUuid, type Firmware, type NicRom } from './rack-plan';
export { plainText, readSerial, serialLogSize, serverDiagnostics, waitForSerial, type WaitForSerialOptions } from './serial';
export { findLabs, removeLab } from './teardown';
export type { LabDisk, LabDiskBus, LabDiskSpec, ServerHardware } from './server-hardware';

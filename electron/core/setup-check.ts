import type { ServicesStatus } from '../../shared/deploy';
import type { NetworkInterface } from '../../shared/network';
import type { SetupCheck, SetupReport } from '../../shared/setup';

/** What the core knows when the first-run screen asks whether a deploy can work. */
export interface SetupFacts {
  /** The laptop's interfaces, or why they could not be listed. */
  interfaces: NetworkInterface[] | { error: string };
  services: ServicesStatus;
  images: { name: string }[];
  servers: { name: string }[];
  /** The servers whose BMC answered a connection test just now. */
  answeringBmcs: { name: string }[];
}

function usableIpv4(iface: NetworkInterface): string | null {
  const address = iface.addresses.find((entry) => entry.family === 'inet' && !entry.address.startsWith('169.254.'));
  return address ? `${address.address}/${address.prefixLength}` : null;
}

/** A provisioning port: wired, link up, not the uplink (the network service's own recommendation). */
function provisioningPorts(interfaces: NetworkInterface[]): NetworkInterface[] {
  return interfaces.filter((iface) => iface.recommended);
}

function nicCheck(facts: SetupFacts): SetupCheck {
  const title = 'A wired network port with link';
  if ('error' in facts.interfaces) return { need: 'wired-nic', ok: false, title, detail: `Rackboot could not list the network ports: ${facts.interfaces.error}` };
  const ports = provisioningPorts(facts.interfaces);
  if (ports.length > 0) return { need: 'wired-nic', ok: true, title, detail: `${ports.map((port) => port.name).join(', ')}: cable in, link up.` };
  const unplugged = facts.interfaces.filter((iface) => iface.kind === 'wired' && iface.carrier !== true && !iface.carriesDefaultRoute);
  if (unplugged.length > 0) {
    return { need: 'wired-nic', ok: false, title, detail: `${unplugged[0]!.name} has no link: plug its cable into the switch the servers’ first network ports are on.` };
  }
  return {
    need: 'wired-nic',
    ok: false,
    title,
    detail: 'No free wired Ethernet port: plug in a USB Ethernet adapter and connect it to the servers’ switch (Wi-Fi and your uplink are never used).',
  };
}

function addressCheck(facts: SetupFacts): SetupCheck {
  const title = 'An address for the servers to reach this laptop';
  if (facts.services.config) {
    const { interfaceName, address, prefixLength } = facts.services.config;
    return { need: 'provisioning-address', ok: true, title, detail: `${interfaceName} has ${address}/${prefixLength}.` };
  }
  if (!('error' in facts.interfaces)) {
    for (const port of provisioningPorts(facts.interfaces)) {
      const address = usableIpv4(port);
      if (address) return { need: 'provisioning-address', ok: true, title, detail: `${port.name} has ${address}.` };
    }
  }
  return {
    need: 'provisioning-address',
    ok: false,
    title,
    detail: 'The wired port has no address yet: Rackboot can give it one (it shows the commands first and can undo them).',
  };
}

function servicesCheck(facts: SetupFacts): SetupCheck {
  const title = 'The network boot services';
  const { running, config } = facts.services;
  if (running && config) return { need: 'boot-services', ok: true, title, detail: `DHCP, TFTP and HTTP are answering on ${config.interfaceName} (${config.address}).` };
  return { need: 'boot-services', ok: false, title, detail: 'Not running: the servers cannot boot from the network until they are started.' };
}

function imageCheck(facts: SetupFacts): SetupCheck {
  const title = 'An OS image';
  const count = facts.images.length;
  if (count > 0) return { need: 'image', ok: true, title, detail: count === 1 ? `${facts.images[0]!.name}.` : `${count} images, ${facts.images[0]!.name} among them.` };
  return { need: 'image', ok: false, title, detail: 'No image yet: add the disk image to write (drop the file anywhere on this window).' };
}

function bmcCheck(facts: SetupFacts): SetupCheck {
  const title = 'A server whose BMC answers';
  if (facts.servers.length === 0) return { need: 'working-bmc', ok: false, title, detail: 'No server yet: enrol one with its BMC address, user and password.' };
  const answering = facts.answeringBmcs.length;
  if (answering > 0) {
    return { need: 'working-bmc', ok: true, title, detail: answering === 1 ? `${facts.answeringBmcs[0]!.name}’s BMC answers.` : `${answering} BMCs answer.` };
  }
  return {
    need: 'working-bmc',
    ok: false,
    title,
    detail: `No BMC answered (${facts.servers.map((server) => server.name).slice(0, 3).join(', ')}${facts.servers.length > 3 ? ', …' : ''}): check each one’s address, user and password, and that the laptop reaches the BMC network.`,
  };
}

/** The first-run checklist: each need met or not, in plain words, in the order a technician sets them up. */
export function assessSetup(facts: SetupFacts): SetupReport {
  const checks = [nicCheck(facts), addressCheck(facts), servicesCheck(facts), imageCheck(facts), bmcCheck(facts)];
  return { ready: checks.every((check) => check.ok), empty: facts.images.length === 0 && facts.servers.length === 0, checks };
}

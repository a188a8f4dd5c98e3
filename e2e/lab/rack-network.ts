import { linkNamespaces, Netns } from '../support/netns';
import {
  PROV_ADDRESS,
  PROV_INTERFACE,
  RACK_BRIDGE,
  RACK_SUBNET,
  UPLINK_ADDRESS,
  UPLINK_GATEWAY,
  UPLINK_INTERFACE,
  UPLINK_PEER_INTERFACE,
  UPLINK_PREFIX_LENGTH,
  type LabPlan,
} from './rack-plan';

/**
 * rack: br0 holding the BMC addresses, one tap per server and the port towards the laptop;
 * prov: prov0 on the rack segment plus wlan0, the uplink that holds the default route;
 * up: the far end of wlan0.
 */
export async function buildNetwork(plan: LabPlan): Promise<{ rack: Netns; prov: Netns; uplink: Netns }> {
  const rack = await Netns.createNamed(plan.namespaces.rack);
  const prov = await Netns.createNamed(plan.namespaces.prov);
  const uplink = await Netns.createNamed(plan.namespaces.uplink);

  await rack.ip('link', 'add', RACK_BRIDGE, 'type', 'bridge');
  await rack.ip('link', 'set', RACK_BRIDGE, 'up');
  await linkNamespaces(rack, 'prov-port', prov, PROV_INTERFACE);
  await rack.ip('link', 'set', 'prov-port', 'master', RACK_BRIDGE);
  await prov.ip('addr', 'add', `${PROV_ADDRESS}/${RACK_SUBNET.prefixLength}`, 'dev', PROV_INTERFACE);
  for (const server of plan.servers) {
    await rack.ip('addr', 'add', `${server.bmcAddress}/${RACK_SUBNET.prefixLength}`, 'dev', RACK_BRIDGE);
    await rack.ip('tuntap', 'add', server.tap, 'mode', 'tap');
    await rack.ip('link', 'set', server.tap, 'master', RACK_BRIDGE, 'up');
  }

  await linkNamespaces(prov, UPLINK_INTERFACE, uplink, UPLINK_PEER_INTERFACE);
  await prov.ip('addr', 'add', `${UPLINK_ADDRESS}/${UPLINK_PREFIX_LENGTH}`, 'dev', UPLINK_INTERFACE);
  await uplink.ip('addr', 'add', `${UPLINK_GATEWAY}/${UPLINK_PREFIX_LENGTH}`, 'dev', UPLINK_PEER_INTERFACE);
  await prov.ip('route', 'add', 'default', 'via', UPLINK_GATEWAY, 'dev', UPLINK_INTERFACE);
  return { rack, prov, uplink };
}

import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { DeployRecord, DeploySettings, ServicesStatus, TransferProgress } from '../../../shared/deploy';

interface DeployState {
  records: Record<string, DeployRecord>;
  services: ServicesStatus | null;
  /** The saved deploy settings (the ramdisk source among them), null until loaded. */
  settings: DeploySettings | null;
  /** The latest transfer of each node, for its progress bar. */
  transfers: Record<string, TransferProgress>;
}

export const useDeploy = create<DeployState>()(() => ({ records: {}, services: null, settings: null, transfers: {} }));

export function followDeploy(client: RackbootClient): () => void {
  const stops = [
    client.on('deploy.changed', (record) => useDeploy.setState((state) => ({ records: { ...state.records, [record.nodeId]: record } }))),
    client.on('transfer.progress', (transfer) => {
      if (!transfer.nodeId) return;
      const nodeId = transfer.nodeId;
      useDeploy.setState((state) => ({ transfers: { ...state.transfers, [nodeId]: transfer } }));
    }),
  ];
  void client.call('deploy.list', {}).then((records) => useDeploy.setState({ records: Object.fromEntries(records.map((record) => [record.nodeId, record])) }));
  void refreshServices(client);
  void client.call('deploy.getSettings', {}).then((settings) => useDeploy.setState({ settings }));
  return () => stops.forEach((stop) => stop());
}

export async function refreshServices(client: RackbootClient): Promise<void> {
  useDeploy.setState({ services: await client.call('services.status', {}) });
}

import { SECRET_DRIVER_INFO_KEYS, toIronicNode, type HandoffNode, type IronicNodeSpec, type IronicPortSpec } from './node-mapping';

/**
 * The resources file `baremetal create FILE.json` (python-ironicclient's create_resources) reads: `{"nodes": [...]}`,
 * each node the body of `POST /v1/nodes` with its ports nested under `ports`. The client decides the format by the
 * file's extension, so the name must end in `.json`.
 */
export const IRONIC_CREATE_FILE_NAME = 'ironic-nodes.json';

export interface CreateFileNode extends IronicNodeSpec {
  ports: IronicPortSpec[];
}

/** The file's text; the BMC passwords are in it only when `includePasswords`. */
export function ironicCreateFile(nodes: readonly HandoffNode[], includePasswords: boolean, driverOverride?: 'fake-hardware'): string {
  const entries: CreateFileNode[] = nodes.map((node) => {
    const { node: spec, ports } = toIronicNode(node, driverOverride);
    const driverInfo = includePasswords
      ? spec.driver_info
      : Object.fromEntries(Object.entries(spec.driver_info).filter(([key]) => !SECRET_DRIVER_INFO_KEYS.has(key)));
    return { ...spec, driver_info: driverInfo, ports };
  });
  return `${JSON.stringify({ nodes: entries }, null, 2)}\n`;
}

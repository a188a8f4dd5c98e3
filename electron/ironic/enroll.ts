import type { IronicNodeProgress } from '../../shared/ironic';
import { IronicApiError, type IronicApi, type NodeState } from './api-client';
import { toIronicNode, ironicNameProblem, type HandoffNode } from './node-mapping';
import { nodePatch } from './node-patch';
import { explainLastError, explainRefusal } from './plain-words';

export interface EnrollTarget extends HandoffNode {
  /** Rackboot's id, to tie the progress to the wizard's row. */
  nodeId: string;
}

export interface EnrollOptions {
  /** Nodes sent at once; Ironic's API handles a few requests in parallel well, a hundred at once badly. */
  concurrency: number;
  /** Ask Ironic to `manage` each node (it checks the BMC) and wait for the outcome; off: create/update only. */
  manage: boolean;
  pollIntervalMs: number;
  /** How long Ironic may take to check one BMC (its IPMI retries alone take a minute by default). */
  verifyTimeoutMs: number;
  onProgress(progress: IronicNodeProgress): void;
  /** Tests and the benchmark: enrol as `fake-hardware`, so Ironic checks no BMC. */
  driverOverride?: 'fake-hardware';
  sleep?(ms: number): Promise<void>;
}

/** States past `manageable`: the node was handed off before and Ironic has moved on with it. */
const SETTLED_STATES = new Set(['manageable', 'available', 'active', 'deploying', 'wait call-back', 'cleaning', 'clean wait', 'inspecting', 'inspect wait', 'deploy failed', 'clean failed', 'inspect failed', 'rescue', 'service']);

/**
 * Creates each node and its port in Ironic, or brings the existing ones (same name, same MAC) up to date, then has
 * Ironic verify the BMC (`manage`) and follows the node until it is `manageable` or Ironic gives up. Idempotent: run
 * twice, the second run finds everything as it should be and sends no change.
 */
export async function enrollNodes(api: IronicApi, targets: readonly EnrollTarget[], options: EnrollOptions): Promise<IronicNodeProgress[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const results = new Map<string, IronicNodeProgress>();
  const report = (progress: IronicNodeProgress): void => {
    results.set(progress.nodeId, progress);
    options.onProgress(progress);
  };
  for (const target of targets) report(progress(target, 'queued', 'Waiting for its turn.'));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const target = targets[next++]!;
      await handOff(api, target, options, report, sleep).catch((error: unknown) => {
        const last = results.get(target.nodeId);
        report({ ...progress(target, 'failed', failureText(error)), ...(last ? { change: last.change, ironicUuid: last.ironicUuid, provisionState: last.provisionState } : {}) });
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, targets.length)) }, worker));
  return targets.map((target) => results.get(target.nodeId)!);
}

function progress(target: EnrollTarget, step: IronicNodeProgress['step'], message: string): IronicNodeProgress {
  return { nodeId: target.nodeId, name: target.name, step, change: null, ironicUuid: null, provisionState: null, lastError: null, message };
}

function failureText(error: unknown): string {
  if (error instanceof IronicApiError) return explainRefusal(error.message);
  return error instanceof Error ? error.message : String(error);
}

async function handOff(
  api: IronicApi,
  target: EnrollTarget,
  options: EnrollOptions,
  report: (progress: IronicNodeProgress) => void,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const nameProblem = ironicNameProblem(target.name);
  if (nameProblem) {
    report(progress(target, 'failed', nameProblem));
    return;
  }
  report(progress(target, 'sending', 'Sending it to Ironic.'));
  const { node: spec, ports } = toIronicNode(target, options.driverOverride);
  const existing = await api.nodeByName(target.name);
  let change: IronicNodeProgress['change'];
  let node: NodeState;
  if (!existing) {
    node = await api.createNode(spec);
    change = 'created';
  } else {
    // Ironic has verified the password of a node past `enroll`; before that, the one Rackboot holds is sent again.
    const operations = nodePatch(existing, spec, { sendPasswords: existing.provision_state === 'enroll' });
    node = operations.length ? await api.patchNode(existing.uuid, operations) : existing;
    change = operations.length ? 'updated' : 'unchanged';
  }
  for (const port of ports) {
    const found = await api.portByAddress(port.address);
    if (!found) {
      await api.createPort(node.uuid, port);
      if (change === 'unchanged') change = 'updated';
    } else if (found.node_uuid !== node.uuid) {
      report({
        ...progress(target, 'failed', `Ironic already has MAC ${port.address} as a port of another node (${found.node_uuid}): remove that port in Ironic, or correct the MAC in Rackboot.`),
        change,
        ironicUuid: node.uuid,
        provisionState: node.provision_state,
      });
      return;
    } else if (found.pxe_enabled !== port.pxe_enabled) {
      await api.patchPort(found.uuid, [{ op: 'replace', path: '/pxe_enabled', value: port.pxe_enabled }]);
      if (change === 'unchanged') change = 'updated';
    }
  }
  const base = { change, ironicUuid: node.uuid };
  const sent = change === 'created' ? 'Created in Ironic' : change === 'updated' ? 'Updated in Ironic' : 'Already in Ironic as Rackboot has it';
  if (!options.manage || SETTLED_STATES.has(node.provision_state)) {
    const state = node.provision_state;
    report({ ...progress(target, SETTLED_STATES.has(state) ? 'manageable' : 'sent', `${sent}; provision state ${state}.`), ...base, provisionState: state });
    return;
  }
  const before = node.provision_updated_at;
  if (node.provision_state === 'enroll') await api.setProvisionState(node.uuid, 'manage');
  report({ ...progress(target, 'verifying', `${sent}; Ironic is checking the BMC.`), ...base, provisionState: 'verifying' });
  const deadline = Date.now() + options.verifyTimeoutMs;
  for (;;) {
    await sleep(options.pollIntervalMs);
    const state = await api.nodeState(node.uuid);
    if (SETTLED_STATES.has(state.provision_state)) {
      report({ ...progress(target, 'manageable', `${sent}; Ironic reached the BMC: ${state.provision_state}.`), ...base, provisionState: state.provision_state });
      return;
    }
    // Back in `enroll` with nothing under way, after our request: Ironic tried and failed (its last_error says why).
    const finished = state.provision_state === 'enroll' && !state.target_provision_state && state.provision_updated_at !== before;
    if (finished || state.provision_state === 'verify failed') {
      const lastError = state.last_error ?? 'no reason given';
      report({ ...progress(target, 'failed', explainLastError(lastError, target.bmc)), ...base, provisionState: state.provision_state, lastError });
      return;
    }
    if (Date.now() > deadline) {
      report({
        ...progress(target, 'failed', `Ironic is still checking the BMC after ${Math.round(options.verifyTimeoutMs / 1000)} s (state ${state.provision_state}): look at ironic-conductor's log, then hand off again.`),
        ...base,
        provisionState: state.provision_state,
        lastError: state.last_error,
      });
      return;
    }
  }
}

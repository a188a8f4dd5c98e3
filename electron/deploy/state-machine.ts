import { DEPLOY_PHASES, type DeployPhase, type DeployRecord } from '../../shared/deploy';

/** What can happen to a deploy; the orchestrator turns IPMI, PXE and agent events into these. */
export type DeployEvent =
  | { kind: 'start'; deployId: string; imageId: string | null; from: DeployPhase; at: string }
  | { kind: 'reached'; phase: DeployPhase; at: string }
  | { kind: 'progress'; bytesWritten: number; bytesTotal: number; at: string }
  | { kind: 'fail'; reason: string; at: string }
  | { kind: 'cancel'; at: string }
  /** An inspection (no image) collected the inventory and powered the server off: nothing runs any more. */
  | { kind: 'inspected'; at: string };

export class InvalidTransition extends Error {}

function order(phase: DeployPhase): number {
  return DEPLOY_PHASES.indexOf(phase);
}

export function initialRecord(nodeId: string, at: string): DeployRecord {
  return {
    nodeId,
    deployId: '',
    imageId: null,
    status: 'idle',
    phase: 'enrolled',
    failure: null,
    history: [{ phase: 'enrolled', at }],
    bytesWritten: 0,
    bytesTotal: 0,
    startedAt: at,
    updatedAt: at,
  };
}

/**
 * The per-node deploy state machine, pure: phases only move forward while running (skipping is allowed, going back
 * is ignored); failure and cancel can happen in
 * any running phase; a start (first run or retry) begins at a given phase, so a retry resumes where it failed.
 */
export function applyDeployEvent(record: DeployRecord, event: DeployEvent): DeployRecord {
  switch (event.kind) {
    case 'start': {
      if (record.status === 'running') throw new InvalidTransition(`a deploy of this node is already running (${record.phase})`);
      const resume = order(event.from) > 0;
      return {
        ...record,
        deployId: event.deployId,
        imageId: event.imageId,
        status: 'running',
        phase: event.from,
        failure: null,
        history: resume ? [...record.history, { phase: event.from, at: event.at }] : [{ phase: event.from, at: event.at }],
        bytesWritten: 0,
        bytesTotal: resume ? record.bytesTotal : 0,
        startedAt: event.at,
        updatedAt: event.at,
      };
    }
    case 'reached': {
      if (record.status !== 'running') throw new InvalidTransition(`no deploy is running, cannot reach ${event.phase}`);
      // Signals arrive asynchronously (a DHCP request can beat the power-on's reply): a late one for a phase already
      // passed changes nothing.
      if (order(event.phase) <= order(record.phase)) return record;
      return {
        ...record,
        phase: event.phase,
        status: event.phase === 'deployed' ? 'deployed' : 'running',
        history: [...record.history, { phase: event.phase, at: event.at }],
        updatedAt: event.at,
      };
    }
    case 'progress':
      if (record.status !== 'running') return record;
      return { ...record, bytesWritten: event.bytesWritten, bytesTotal: event.bytesTotal, updatedAt: event.at };
    case 'fail':
      if (record.status !== 'running') return record;
      return {
        ...record,
        status: 'failed',
        failure: { phase: record.phase, reason: event.reason, at: event.at },
        updatedAt: event.at,
      };
    case 'cancel':
      if (record.status !== 'running') return record;
      return { ...record, status: 'cancelled', failure: null, updatedAt: event.at };
    case 'inspected':
      if (record.status !== 'running') return record;
      return { ...record, status: 'idle', failure: null, updatedAt: event.at };
  }
}

/**
 * Where a retry resumes: the last phase reached, whose work toward the next one is redone. Everything from the PXE
 * boot on needs the ramdisk running again, so those failures resume after the MAC capture and boot afresh.
 */
export function retryPhase(record: DeployRecord): DeployPhase {
  const reached = record.failure?.phase ?? record.phase;
  return order(reached) >= order('booting-pxe') ? 'mac-captured' : reached;
}

import { z } from 'zod';

/**
 * Redfish JSON in, typed values out: the few resources the deploy reads (service root, ComputerSystem, its
 * EthernetInterfaces, a Task), each checked with zod so a BMC that answers something else is named, not trusted.
 * Pure: no sockets, no timers.
 */

const link = z.object({ '@odata.id': z.string() });

const serviceRootSchema = z.object({
  RedfishVersion: z.string().optional(),
  UUID: z.string().optional(),
  Vendor: z.string().optional(),
  Product: z.string().optional(),
  Systems: link.optional(),
  SessionService: link.optional(),
  Links: z.object({ Sessions: link.optional() }).partial().optional(),
  Oem: z.record(z.string(), z.unknown()).optional(),
});

export interface ServiceRoot {
  redfishVersion: string | null;
  /** `Vendor` (Redfish 1.5+), or the first Oem key (Dell, Hpe, Hp, Lenovo, Supermicro…) of older firmware. */
  vendor: string | null;
  product: string | null;
  systemsPath: string | null;
  /** Where sessions are created; null when the service has no SessionService (HTTP Basic then). */
  sessionsPath: string | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'the document'}: ${issue.message}`)
    .join('; ');
}

export function parseServiceRoot(json: unknown): Parsed<ServiceRoot> {
  const parsed = serviceRootSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `not a Redfish service root (${describeIssues(parsed.error)})` };
  const root = parsed.data;
  const sessionsPath =
    root.Links?.Sessions?.['@odata.id'] ??
    (root.SessionService ? `${root.SessionService['@odata.id'].replace(/\/$/, '')}/Sessions` : null);
  return {
    ok: true,
    value: {
      redfishVersion: root.RedfishVersion ?? null,
      vendor: root.Vendor ?? Object.keys(root.Oem ?? {})[0] ?? null,
      product: root.Product ?? null,
      systemsPath: root.Systems?.['@odata.id'] ?? null,
      sessionsPath,
    },
  };
}

const collectionSchema = z.object({ Members: z.array(link) });

/** The member paths of a collection (Systems, EthernetInterfaces…). */
export function parseCollection(json: unknown): Parsed<string[]> {
  const parsed = collectionSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `not a Redfish collection (${describeIssues(parsed.error)})` };
  return { ok: true, value: parsed.data.Members.map((member) => member['@odata.id']) };
}

export const POWER_STATES = ['On', 'Off', 'PoweringOn', 'PoweringOff', 'Paused'] as const;
export type PowerState = (typeof POWER_STATES)[number];

const stringList = z.array(z.string());

const systemSchema = z.object({
  '@odata.id': z.string(),
  '@odata.etag': z.string().optional(),
  Id: z.string(),
  Manufacturer: z.string().nullable().optional(),
  Model: z.string().nullable().optional(),
  SerialNumber: z.string().nullable().optional(),
  UUID: z.string().nullable().optional(),
  BiosVersion: z.string().nullable().optional(),
  PowerState: z.enum(POWER_STATES).nullable().optional(),
  Boot: z
    .object({
      BootSourceOverrideEnabled: z.string().nullable().optional(),
      'BootSourceOverrideEnabled@Redfish.AllowableValues': stringList.optional(),
      BootSourceOverrideTarget: z.string().nullable().optional(),
      'BootSourceOverrideTarget@Redfish.AllowableValues': stringList.optional(),
      BootSourceOverrideMode: z.string().nullable().optional(),
      'BootSourceOverrideMode@Redfish.AllowableValues': stringList.optional(),
    })
    .optional(),
  Actions: z
    .object({
      '#ComputerSystem.Reset': z
        .object({ target: z.string(), 'ResetType@Redfish.AllowableValues': stringList.optional() })
        .optional(),
    })
    .optional(),
  EthernetInterfaces: link.optional(),
  BootProgress: z.object({ LastState: z.string().nullable().optional() }).partial().nullable().optional(),
  Oem: z.record(z.string(), z.unknown()).optional(),
});

/** A ComputerSystem as the deploy needs it. Lists are null where the BMC does not say (then anything is tried). */
export interface SystemFacts {
  path: string;
  id: string;
  manufacturer: string | null;
  model: string | null;
  serialNumber: string | null;
  /** The SMBIOS UUID, lower case: the same the PXE ROM sends in DHCP option 97. */
  uuid: string | null;
  biosVersion: string | null;
  powerState: PowerState | null;
  boot: {
    enabled: string | null;
    allowedEnabled: string[] | null;
    target: string | null;
    allowedTargets: string[] | null;
    /** null: the system does not report a boot mode (then none is sent). */
    mode: string | null;
    allowedModes: string[] | null;
  };
  resetPath: string | null;
  allowedResetTypes: string[] | null;
  ethernetInterfacesPath: string | null;
  /** BootProgress.LastState (OSRunning, OSBootStarted…), on BMCs of Redfish 2020.2 and later; null elsewhere. */
  bootProgress: string | null;
  /** The resource's ETag (from the header or `@odata.etag`), for If-Match. */
  etag: string | null;
  oemKeys: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseSystem(json: unknown, headerEtag: string | null = null): Parsed<SystemFacts> {
  const parsed = systemSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `not a Redfish ComputerSystem (${describeIssues(parsed.error)})` };
  const system = parsed.data;
  const uuid = system.UUID?.trim().toLowerCase() ?? null;
  const boot = system.Boot ?? {};
  const reset = system.Actions?.['#ComputerSystem.Reset'];
  return {
    ok: true,
    value: {
      path: system['@odata.id'],
      id: system.Id,
      manufacturer: system.Manufacturer ?? null,
      model: system.Model ?? null,
      serialNumber: system.SerialNumber ?? null,
      // Some BMCs report an all-zero or malformed UUID before the host has run its BIOS once.
      uuid: uuid !== null && UUID.test(uuid) && !/^[0-]+$/.test(uuid) ? uuid : null,
      biosVersion: system.BiosVersion ?? null,
      powerState: system.PowerState ?? null,
      boot: {
        enabled: boot.BootSourceOverrideEnabled ?? null,
        allowedEnabled: boot['BootSourceOverrideEnabled@Redfish.AllowableValues'] ?? null,
        target: boot.BootSourceOverrideTarget ?? null,
        allowedTargets: boot['BootSourceOverrideTarget@Redfish.AllowableValues'] ?? null,
        mode: boot.BootSourceOverrideMode ?? null,
        allowedModes: boot['BootSourceOverrideMode@Redfish.AllowableValues'] ?? null,
      },
      resetPath: reset?.target ?? null,
      allowedResetTypes: reset?.['ResetType@Redfish.AllowableValues'] ?? null,
      ethernetInterfacesPath: system.EthernetInterfaces?.['@odata.id'] ?? null,
      bootProgress: system.BootProgress?.LastState ?? null,
      etag: headerEtag ?? system['@odata.etag'] ?? null,
      oemKeys: Object.keys(system.Oem ?? {}),
    },
  };
}

const ethernetInterfaceSchema = z.object({
  Id: z.string().optional(),
  MACAddress: z.string().nullable().optional(),
  PermanentMACAddress: z.string().nullable().optional(),
  LinkStatus: z.string().nullable().optional(),
  Status: z.object({ State: z.string().nullable().optional() }).partial().optional(),
});

export interface EthernetInterfaceFacts {
  id: string | null;
  /** Lower case, colon separated; the permanent MAC when the BMC gives one (the PXE ROM uses it). */
  mac: string | null;
  linkUp: boolean | null;
  enabled: boolean | null;
}

const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;

export function parseEthernetInterface(json: unknown): Parsed<EthernetInterfaceFacts> {
  const parsed = ethernetInterfaceSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `not a Redfish EthernetInterface (${describeIssues(parsed.error)})` };
  const nic = parsed.data;
  const raw = [nic.PermanentMACAddress, nic.MACAddress].find((mac) => typeof mac === 'string' && MAC.test(mac));
  const state = nic.Status?.State ?? null;
  return {
    ok: true,
    value: {
      id: nic.Id ?? null,
      mac: raw ? raw.toLowerCase().replaceAll('-', ':') : null,
      linkUp: nic.LinkStatus ? nic.LinkStatus === 'LinkUp' : null,
      enabled: state === null ? null : state === 'Enabled',
    },
  };
}

const TASK_STATES = [
  'New',
  'Starting',
  'Running',
  'Suspended',
  'Interrupted',
  'Pending',
  'Stopping',
  'Completed',
  'Killed',
  'Exception',
  'Service',
  'Cancelling',
  'Cancelled',
] as const;

const messageSchema = z.object({ Message: z.string().optional(), MessageId: z.string().optional() }).passthrough();

const taskSchema = z.object({
  TaskState: z.enum(TASK_STATES),
  TaskStatus: z.string().optional(),
  PercentComplete: z.number().optional(),
  Messages: z.array(messageSchema).optional(),
});

/** Where an asynchronous operation stands, reduced to what a waiter decides on. */
export type TaskProgress =
  | { state: 'running'; percent: number | null }
  | { state: 'done' }
  | { state: 'failed'; reason: string };

/**
 * A task monitor's answer. While the operation runs the monitor answers 202 with the Task; once it is over, many
 * services answer with the operation's own response (any other 2xx) instead.
 */
export function parseTaskMonitor(status: number, json: unknown): Parsed<TaskProgress> {
  if (status !== 202 && status >= 200 && status < 300) {
    const task = taskSchema.safeParse(json);
    if (!task.success) return { ok: true, value: { state: 'done' } };
  }
  const parsed = taskSchema.safeParse(json);
  if (!parsed.success) {
    if (status === 202) return { ok: true, value: { state: 'running', percent: null } };
    return { ok: false, problem: `not a Redfish Task (${describeIssues(parsed.error)})` };
  }
  const task = parsed.data;
  const messages = (task.Messages ?? []).map((message) => message.Message ?? message.MessageId ?? '').filter(Boolean);
  switch (task.TaskState) {
    case 'Completed':
      if (task.TaskStatus === 'Critical') return { ok: true, value: { state: 'failed', reason: messages.join('; ') || 'the task ended Critical' } };
      return { ok: true, value: { state: 'done' } };
    case 'Killed':
    case 'Exception':
    case 'Cancelled':
      return { ok: true, value: { state: 'failed', reason: messages.join('; ') || `the task ended ${task.TaskState}` } };
    default:
      return { ok: true, value: { state: 'running', percent: task.PercentComplete ?? null } };
  }
}

const errorBodySchema = z.object({
  error: z
    .object({
      code: z.string().optional(),
      message: z.string().optional(),
      '@Message.ExtendedInfo': z.array(messageSchema).optional(),
    })
    .passthrough(),
});

/** The message ids and texts of a Redfish error response, most specific first; empty when the body says nothing. */
export function parseErrorBody(json: unknown): { ids: string[]; text: string } {
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return { ids: [], text: '' };
  const extended = parsed.data.error['@Message.ExtendedInfo'] ?? [];
  const ids = [...extended.map((message) => message.MessageId ?? ''), parsed.data.error.code ?? ''].filter(Boolean);
  const texts = extended.map((message) => message.Message ?? '').filter(Boolean);
  const text = texts.length > 0 ? texts.join('; ') : (parsed.data.error.message ?? '');
  return { ids, text };
}

/** True when a message id (Base.1.x.PropertyNotWritable…) names one of `names`, whatever registry version. */
export function hasMessage(ids: readonly string[], ...names: string[]): boolean {
  return ids.some((id) => names.includes(id.split('.').pop() ?? ''));
}

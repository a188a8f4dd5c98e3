import { UserFacingError } from '../lib/user-facing-error';

/**
 * Ironic's API microversions (`1.N`): the client names the one it speaks in `X-OpenStack-Ironic-API-Version`, and
 * Ironic answers in that version's shape. Pure: the root document in, the version to use out.
 */
export interface Microversion {
  major: number;
  minor: number;
  text: string;
}

/** Port `pxe_enabled` (1.19) is the newest field the hand-off needs; node names (1.5) and `manage` (1.4) are older. */
export const MINIMUM_MICROVERSION = version(1, 19);
/**
 * The newest version this client was checked against (Ironic 21.4, Debian 12: 1.82). A later one may change a field's
 * shape, so a newer Ironic is spoken to in this one; Ironic keeps every older version working.
 */
export const NEWEST_KNOWN_MICROVERSION = version(1, 82);

function version(major: number, minor: number): Microversion {
  return { major, minor, text: `${major}.${minor}` };
}

export function parseMicroversion(text: unknown): Microversion | null {
  if (typeof text !== 'string') return null;
  const match = /^(\d{1,3})\.(\d{1,4})$/.exec(text.trim());
  return match ? version(Number(match[1]), Number(match[2])) : null;
}

const compare = (a: Microversion, b: Microversion): number => a.major - b.major || a.minor - b.minor;

export interface VersionRange {
  min: Microversion;
  max: Microversion;
}

/** The v1 range from `GET /` (`{"versions": [{"id": "v1", "min_version", "version"}]}`), or null. */
export function parseVersionDocument(body: string): VersionRange | null {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return null;
  }
  const versions = (document as { versions?: unknown }).versions;
  if (!Array.isArray(versions)) return null;
  const v1 = versions.find((entry: unknown) => (entry as { id?: unknown } | null)?.id === 'v1') as { min_version?: unknown; version?: unknown } | undefined;
  if (!v1) return null;
  const min = parseMicroversion(v1.min_version);
  const max = parseMicroversion(v1.version);
  return min && max && compare(min, max) <= 0 ? { min, max } : null;
}

/** The highest version both sides speak; refused, with what to do, when the ranges do not meet. */
export function negotiateMicroversion(server: VersionRange): Microversion {
  if (compare(server.max, MINIMUM_MICROVERSION) < 0) {
    throw new UserFacingError(
      'ironic-version',
      `This Ironic speaks API versions up to ${server.max.text}; the hand-off needs ${MINIMUM_MICROVERSION.text} or later (Ironic 8.0, Pike, or newer): upgrade Ironic, or export a file for its own client instead.`,
    );
  }
  if (compare(server.min, NEWEST_KNOWN_MICROVERSION) > 0) {
    throw new UserFacingError(
      'ironic-version',
      `This Ironic no longer speaks API versions before ${server.min.text}, and Rackboot knows them up to ${NEWEST_KNOWN_MICROVERSION.text}: export a file and load it with "baremetal create" instead.`,
    );
  }
  return compare(server.max, NEWEST_KNOWN_MICROVERSION) < 0 ? server.max : NEWEST_KNOWN_MICROVERSION;
}

// iPXE scripts, rendered as plain text. Pure.
// iPXE expands ${...} anywhere in a line (repeatedly, so there is no escape for it), splits the line at whitespace
// with no quoting, ends the command at a token starting with '#', and treats the tokens '||', '&&' and ';' as
// operators. URLs are therefore percent-encoded, and command-line tokens that iPXE would interpret are refused.
import { macHexhyp } from '../../../shared/mac';

export interface BootTarget {
  /** Absolute URL (http, https, tftp), or a path on our HTTP boot server starting with '/'. */
  kernelUrl: string;
  initrdUrls: string[];
  /**
   * An initrd our server makes for the NIC iPXE booted from (its drivers): the URL gets that NIC's bus id as iPXE
   * knows it (`busid=${netX/busid:hexraw}`: bus type, PCI vendor and device).
   */
  bootNicDriversUrl?: string;
  /** Kernel command line; `initrd=` arguments for each initrd are added when it has none. */
  cmdline: string;
}

export type ScriptResult = { ok: true; script: string } | { ok: false; error: string };

export interface NodeScriptInput {
  /** Lower-case, colon-separated. */
  mac: string;
  target: BootTarget;
  /** Origin of our HTTP boot server, e.g. http://10.77.0.1:8080; server-relative URLs resolve against it. */
  serverOrigin: string;
  /** Seconds between retries when a download fails. */
  retrySeconds?: number;
}

/**
 * Per-node script: loads the kernel and initrds, boots, and on failure retries after a pause instead of falling
 * through to another boot device. Files from our own server carry the node's MAC in the query (`mac=`), so the
 * server can attribute progress even when it handed out no lease (proxyDHCP).
 */
export function renderNodeScript(input: NodeScriptInput): ScriptResult {
  const tag = macHexhyp(input.mac);
  const url = (raw: string, what: string): string => {
    const resolved = resolveUrl(raw, input.serverOrigin, tag);
    if (resolved === null) throw new ScriptInputError(`the ${what} URL ${JSON.stringify(raw)} is not an http, https or tftp URL or a path starting with "/"`);
    return resolved;
  };
  try {
    const kernel = url(input.target.kernelUrl, 'kernel');
    const initrds = input.target.initrdUrls.map((u, i) => ({ name: `initrd${i}`, url: url(u, `initrd #${i + 1}`) }));
    if (input.target.bootNicDriversUrl !== undefined) {
      // Appended after the URL is encoded: iPXE must expand this one.
      const drivers = url(input.target.bootNicDriversUrl, 'boot NIC drivers');
      initrds.push({ name: 'nicdrivers', url: `${drivers}${drivers.includes('?') ? '&' : '?'}${BUSID_QUERY}` });
    }
    const args = cmdlineTokens(input.target.cmdline);
    if (!args.some((a) => a.startsWith('initrd='))) args.unshift(...initrds.map((i) => `initrd=${i.name}`));
    const lines = [
      '#!ipxe',
      `# Rackboot boot script for ${input.mac}`,
      ':retry',
      'imgfree',
      `echo Rackboot: loading kernel for ${tag}`,
      ['kernel', '--name', 'kernel', kernel, ...args, '||', 'goto', 'failed'].join(' '),
      ...initrds.map((i) => `initrd --name ${i.name} ${i.url} || goto failed`),
      'echo Rackboot: starting kernel',
      'boot || goto failed',
      ':failed',
      `echo Rackboot: loading the boot files failed (\${errno}); retrying in ${input.retrySeconds ?? 5} seconds`,
      `sleep ${input.retrySeconds ?? 5}`,
      'goto retry',
      '',
    ];
    return { ok: true, script: lines.join('\n') };
  } catch (error) {
    if (error instanceof ScriptInputError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Entry script for any iPXE client: fetches the node's own script by the MAC of the interface it booted from. */
export function renderEntryScript(serverOrigin: string): string {
  return ['#!ipxe', `chain --autofree ${serverOrigin}/ipxe/\${mac:hexhyp}.ipxe`, ''].join('\n');
}

/** For a MAC nobody told us about: say so on the console, then hand the machine back to its firmware. */
export function renderUnknownNodeScript(mac: string): string {
  return [
    '#!ipxe',
    `echo Rackboot has no boot target for ${macHexhyp(mac)}: add this MAC to a node in Rackboot, then reboot.`,
    'sleep 10',
    'exit 1',
    '',
  ].join('\n');
}

class ScriptInputError extends Error {}

const BUSID_QUERY = 'busid=${netX/busid:hexraw}';

const URL_SAFE = /[A-Za-z0-9\-._~:/?&=%+,;@!*'()[\]]/;

function resolveUrl(raw: string, serverOrigin: string, macTag: string): string | null {
  let parsed: URL;
  let own: boolean;
  try {
    own = raw.startsWith('/') && !raw.startsWith('//');
    parsed = new URL(own ? `${serverOrigin}${raw}` : raw);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'tftp:'].includes(parsed.protocol)) return null;
  if (own) parsed.searchParams.set('mac', macTag);
  parsed.hash = '';
  // WHATWG serialisation leaves $ { } | and friends alone; anything outside the plain URL alphabet is encoded so
  // iPXE neither expands it nor splits the token.
  return [...parsed.href]
    .map((c) => (URL_SAFE.test(c) ? c : [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')))
    .join('');
}

function cmdlineTokens(cmdline: string): string[] {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(cmdline)) {
    throw new ScriptInputError('the kernel command line contains a line break or control character');
  }
  const tokens = cmdline.split(/[ \t]+/).filter(Boolean);
  for (const token of tokens) {
    if (token.includes('${')) {
      throw new ScriptInputError(`the kernel argument ${JSON.stringify(token)} contains "\${", which iPXE would expand; remove it`);
    }
    if (token.startsWith('#') || token === '||' || token === '&&' || token === ';') {
      throw new ScriptInputError(`the kernel argument ${JSON.stringify(token)} would be read by iPXE as a comment or an operator; remove it`);
    }
  }
  return tokens;
}

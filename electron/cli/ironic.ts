import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/api';
import type { IronicAuth, IronicConnection } from '../../shared/ironic';
import type { NodeView } from '../../shared/nodes';
import { createCore, type Core } from '../core/core';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { defaultHeadlessDataDir } from '../lib/app-paths';

export const IRONIC_USAGE = `Usage: rackboot ironic export --out FILE.json [--nodes NAME,…] [--include-passwords]
       rackboot ironic enroll --url URL [--nodes NAME,…] [--no-manage] [auth] [--json]
       rackboot ironic import --url URL [--nodes NAME,…] [auth]
Servers: --nodes names from Rackboot's inventory (export, enroll) or Ironic's (import); default all.
Ironic:  --url http://HOST:6385 (default $OS_ENDPOINT)  --insecure (do not verify its TLS certificate)
Auth:    --auth noauth|http_basic|keystone (default noauth; $OS_AUTH_TYPE "none"/"http_basic"/"password" too)
         --user NAME ($OS_USERNAME); the password only from $OS_PASSWORD, never on the command line
         keystone: --auth-url URL ($OS_AUTH_URL) --project NAME ($OS_PROJECT_NAME)
                   --user-domain ($OS_USER_DOMAIN_NAME, Default) --project-domain ($OS_PROJECT_DOMAIN_NAME, Default)
Options: --data-dir DIR  --concurrency N (enroll, default 8)
         --fake-hardware (export, enroll: as Ironic's fake-hardware type, which contacts no BMC: to try out an Ironic)`;

const AUTH_TYPES: Record<string, IronicAuth['kind']> = { noauth: 'noauth', none: 'noauth', http_basic: 'http_basic', keystone: 'keystone', password: 'keystone' };

export async function ironicCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const env = process.env;
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      nodes: { type: 'string' },
      'include-passwords': { type: 'boolean', default: false },
      url: { type: 'string', default: env['OS_ENDPOINT'] },
      insecure: { type: 'boolean', default: false },
      auth: { type: 'string', default: env['OS_AUTH_TYPE'] ?? 'noauth' },
      user: { type: 'string', default: env['OS_USERNAME'] },
      'auth-url': { type: 'string', default: env['OS_AUTH_URL'] },
      project: { type: 'string', default: env['OS_PROJECT_NAME'] },
      'user-domain': { type: 'string', default: env['OS_USER_DOMAIN_NAME'] ?? 'Default' },
      'project-domain': { type: 'string', default: env['OS_PROJECT_DOMAIN_NAME'] ?? 'Default' },
      'no-manage': { type: 'boolean', default: false },
      'fake-hardware': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '8' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !action || !['export', 'enroll', 'import'].includes(action)) {
    console.error(IRONIC_USAGE);
    return values.help ? 0 : 2;
  }
  const names = values.nodes ? values.nodes.split(',').map((name) => name.trim()).filter(Boolean) : [];
  const outPath = values.out ? path.resolve(values.out) : undefined;
  if (action === 'export' && (!outPath || !outPath.endsWith('.json'))) {
    console.error('rackboot ironic export needs --out FILE.json (baremetal create reads the format from the .json extension)');
    return 2;
  }
  const connection = action === 'export' ? undefined : connectionFrom(values, env['OS_PASSWORD'] ?? '');
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency ${values.concurrency} is not a whole number from 1 to 64`);

  const dataDir = path.resolve(values['data-dir'] ?? defaultHeadlessDataDir());
  const core = await createCore({
    dataDir,
    secrets: await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')),
    shell: 'headless',
    version: process.env.npm_package_version ?? 'cli',
    ...(outPath ? { exportDestination: { kind: 'save-dialog' as const, choosePath: async () => outPath } } : {}),
    ironicTuning: { concurrency, ...(values['fake-hardware'] ? { driverOverride: 'fake-hardware' as const } : {}) },
  });
  try {
    if (action === 'import') {
      const result = await call(core, 'ironic.import', { connection: connection!, names });
      for (const name of result.added) console.log(`added ${name} (type its BMC password in Rackboot before using it)`);
      for (const skipped of result.skipped) console.error(`skipped ${skipped.name}: ${skipped.reason}`);
      return result.skipped.length && !result.added.length ? 1 : 0;
    }
    const nodeIds = chooseNodes(await call(core, 'nodes.list', {}), names);
    if (action === 'export') {
      const result = await call(core, 'ironic.export', { nodeIds, includePasswords: values['include-passwords'] });
      console.log(`wrote ${result.exported} node(s) to ${outPath}${result.passwordsIncluded ? ' with BMC passwords (mode 0600)' : ' without BMC passwords'}`);
      return 0;
    }
    core.bus.on('ironic.progress', (progress) => {
      if (values.json) console.log(JSON.stringify({ event: 'ironic.progress', progress }));
      else if (progress.step !== 'queued') console.log(`${progress.name.padEnd(20)} ${progress.step.padEnd(10)} ${progress.message}`);
    });
    const result = await call(core, 'ironic.enroll', { connection: connection!, nodeIds, manage: !values['no-manage'] });
    const failed = result.nodes.filter((node) => node.step === 'failed');
    console.error(`Ironic API ${result.apiVersion}: ${result.nodes.length - failed.length} of ${result.nodes.length} handed off${failed.length ? `, ${failed.length} failed` : ''}.`);
    return failed.length ? 1 : 0;
  } finally {
    await core.close();
  }
}

function connectionFrom(
  values: { url?: string | undefined; insecure: boolean; auth: string; user?: string | undefined; 'auth-url'?: string | undefined; project?: string | undefined; 'user-domain': string; 'project-domain': string },
  password: string,
): IronicConnection {
  if (!values.url) throw new Error('give Ironic\'s API address with --url http://HOST:6385 (or $OS_ENDPOINT)');
  const kind = AUTH_TYPES[values.auth];
  if (!kind) throw new Error(`--auth ${values.auth} is not one of: noauth, http_basic, keystone`);
  const auth: IronicAuth =
    kind === 'noauth'
      ? { kind }
      : kind === 'http_basic'
        ? { kind, username: values.user ?? '', password }
        : {
            kind,
            authUrl: values['auth-url'] ?? '',
            username: values.user ?? '',
            password,
            projectName: values.project ?? '',
            userDomainName: values['user-domain'],
            projectDomainName: values['project-domain'],
          };
  return { url: values.url, auth, verifyTls: !values.insecure };
}

function chooseNodes(nodes: readonly NodeView[], names: readonly string[]): string[] {
  if (!names.length) {
    if (!nodes.length) throw new Error('Rackboot has no servers enrolled: add them first');
    return nodes.map((node) => node.id);
  }
  return names.map((name) => {
    const node = nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`Rackboot has no server named "${name}"`);
    return node.id;
  });
}

async function call<M extends MethodName>(core: Core, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = await core.call(method, input);
  if (!result.ok) throw new Error(result.error.message);
  return result.output;
}

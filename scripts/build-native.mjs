// Compiles Rackboot's small Node-API addons (electron/native/*.c) into dist/native/NAME.node with the system C
// compiler, and the deploy agent's static helpers (electron/deploy/agent/tools/*.c: what busybox cannot do, such as
// reading raw LLDP frames or zeroing a disk range with BLKZEROOUT) into dist/agent-tools/NAME, which every deploy
// ramdisk carries in /bin. Node-API is ABI-stable, so one build serves Node (headless mode, tests) and Electron alike.
// Where no compiler is found the app still builds: the addons are what tie DHCP to one interface and speed up TFTP,
// and the services say plainly when they run without them. RACKBOOT_REQUIRE_NATIVE=1 (the test command) makes a
// failed build an error instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const sourceDir = 'electron/native';
const outputDir = 'dist/native';
const required = process.env.RACKBOOT_REQUIRE_NATIVE === '1';

function giveUp(reason) {
  const message = `rackboot: native addons not built: ${reason}`;
  if (required) {
    console.error(message);
    process.exit(1);
  }
  console.warn(
    `${message}\n  Rackboot still runs; without them its DHCP server also hears (never answers) requests on other interfaces ` +
      `and TFTP runs in JavaScript. To build them: sudo apt-get install gcc libc6-dev, then npm run build.`,
  );
  process.exit(0);
}

if (process.platform !== 'linux') giveUp(`they use Linux socket options (this is ${process.platform})`);
const headers = path.dirname(require.resolve('node-api-headers/include/node_api.h'));
const compiler = process.env.CC ?? 'cc';
mkdirSync(outputDir, { recursive: true });
for (const file of readdirSync(sourceDir).filter((name) => name.endsWith('.c'))) {
  const output = path.join(outputDir, `${path.basename(file, '.c')}.node`);
  const args = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-pthread', '-fvisibility=hidden'];
  const result = spawnSync(compiler, [...args, '-I', headers, '-o', output, path.join(sourceDir, file)], { encoding: 'utf8' });
  if (result.error) giveUp(`${compiler}: ${result.error.code === 'ENOENT' ? 'no C compiler found' : result.error.message}`);
  if (result.status !== 0) giveUp(`${compiler} failed on ${file}:\n${result.stderr}`);
}

// The agent's helpers run inside the deploy ramdisk, which has no C library: they are linked statically.
const toolSourceDir = 'electron/deploy/agent/tools';
const toolOutputDir = 'dist/agent-tools';
mkdirSync(toolOutputDir, { recursive: true });
for (const file of (existsSync(toolSourceDir) ? readdirSync(toolSourceDir) : []).filter((name) => name.endsWith('.c'))) {
  const output = path.join(toolOutputDir, path.basename(file, '.c'));
  const args = ['-std=gnu11', '-Os', '-s', '-static', '-Wall', '-Wextra', '-Werror'];
  const result = spawnSync(compiler, [...args, '-o', output, path.join(toolSourceDir, file)], { encoding: 'utf8' });
  if (result.error) giveUp(`${compiler}: ${result.error.code === 'ENOENT' ? 'no C compiler found' : result.error.message}`);
  if (result.status !== 0) giveUp(`${compiler} failed on ${file} (a static build needs libc6-dev):\n${result.stderr}`);
}

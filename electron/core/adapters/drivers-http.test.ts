import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { driversHttpHandler, type DriverPacks } from './drivers-http';

let server: Server | null = null;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(packs: DriverPacks | null | 'broken'): Promise<{ url: string; errors: string[] }> {
  const errors: string[] = [];
  const handler = driversHttpHandler(
    async () => {
      if (packs === 'broken') throw new Error('modules.alias: no such file');
      return packs;
    },
    (message) => errors.push(message),
  );
  server = createServer((req, res) => {
    void Promise.resolve(handler(req, res, new URL(req.url ?? '/', 'http://boot.invalid'))).then((handled) => handled || res.writeHead(418).end());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, errors };
}

const packs = (asked: string[][]): DriverPacks => ({
  forModaliases: async (modaliases) => {
    asked.push([...modaliases]);
    return Buffer.from('070701 modules');
  },
  forBootNic: async (busid) => {
    asked.push([`busid ${busid}`]);
    return Buffer.from('070701 nic');
  },
});

describe('the drivers a server is sent', () => {
  it('gives iPXE the boot NIC\'s by busid and the agent those of the modaliases it posts', async () => {
    const asked: string[][] = [];
    const { url } = await serve(packs(asked));
    const nic = await fetch(`${url}/deploy/nic-drivers.cpio?mac=52-54-00-12-34-56&busid=011af41000`);
    expect(nic.status).toBe(200);
    expect(nic.headers.get('content-type')).toBe('application/x-cpio');
    expect(await nic.text()).toBe('070701 nic');
    const rest = await fetch(`${url}/deploy/drivers.cpio?mac=52:54:00:12:34:56`, { method: 'POST', body: 'pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01\nvirtio:d00000002v00001AF4\n\n' });
    expect(await rest.text()).toBe('070701 modules');
    expect(asked).toEqual([['busid 011af41000'], ['pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01', 'virtio:d00000002v00001AF4']]);
  });

  it('refuses the wrong method, what is no modalias, and more than a server could send; passes other paths on', async () => {
    const { url } = await serve(packs([]));
    expect((await fetch(`${url}/deploy/drivers.cpio`)).status).toBe(405);
    expect((await fetch(`${url}/deploy/nic-drivers.cpio`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${url}/deploy/drivers.cpio`, { method: 'POST', body: 'pci:v0000 with spaces\n' })).status).toBe(400);
    expect((await fetch(`${url}/deploy/drivers.cpio`, { method: 'POST', body: 'x'.repeat(300) })).status).toBe(400);
    const huge = await fetch(`${url}/deploy/drivers.cpio`, { method: 'POST', body: 'a\n'.repeat(600_000) }).catch(() => null);
    expect(huge === null || huge.status === 413).toBe(true);
    // Under the size limit, but each line would be matched against every alias: refused before any matching.
    const many = await fetch(`${url}/deploy/drivers.cpio`, { method: 'POST', body: 'a\n'.repeat(400_000) });
    expect(many.status).toBe(413);
    expect(await many.text()).toMatch(/more than 4096 modaliases/);
    expect((await fetch(`${url}/deploy/vmlinuz`)).status).toBe(418);
  });

  it('answers 404 while another ramdisk is in use, and 500 with the cause logged when the drivers cannot be read', async () => {
    expect((await fetch(`${(await serve(null)).url}/deploy/nic-drivers.cpio?busid=`)).status).toBe(404);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const broken = await serve('broken');
    expect((await fetch(`${broken.url}/deploy/nic-drivers.cpio?busid=`)).status).toBe(500);
    expect(broken.errors).toEqual(['modules.alias: no such file']);
  });
});

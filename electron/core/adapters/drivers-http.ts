import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RawHandler } from '../../pxe/http/server';
import { readBody } from '../../lib/read-body';

/** Where iPXE fetches the boot NIC's drivers (`?busid=`) and where the agent posts its devices' modaliases. */
export const NIC_DRIVERS_PATH = '/deploy/nic-drivers.cpio';
export const DRIVERS_PATH = '/deploy/drivers.cpio';
/** One modalias per line; a server with a few hundred devices sends a few tens of KiB. */
const MAX_MODALIASES_BODY = 1024 * 1024;
/** Each modalias is matched against every alias of the kernel (thousands): more lines than a server has devices only costs the laptop CPU. */
const MAX_MODALIASES = 4096;
const MODALIAS = /^[\x21-\x7e]{1,256}$/;

/** The drivers a server is sent, as cpio archives (deploy/builtin-drivers.ts). */
export interface DriverPacks {
  forModaliases(modaliases: readonly string[]): Promise<Buffer>;
  forBootNic(busid: string): Promise<Buffer>;
}

/**
 * Sends each server the drivers of the built-in ramdisk its devices match, as cpio archives: to iPXE the boot NIC's,
 * to the agent the rest. `drivers()` is null while the deploy settings name another ramdisk (which carries its own):
 * the requests then get 404, and the agent goes on with what its initrd holds. A drivers folder that cannot be read
 * is told to `onError` (the servers then wait, retrying, for it to be built again).
 */
export function driversHttpHandler(drivers: () => Promise<DriverPacks | null>, onError: (message: string) => void): RawHandler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (url.pathname !== NIC_DRIVERS_PATH && url.pathname !== DRIVERS_PATH) return false;
    const send = (status: number, body: Buffer | string, type = 'text/plain; charset=utf-8'): true => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' }).end(body);
      return true;
    };
    const wanted = url.pathname === NIC_DRIVERS_PATH ? 'GET' : 'POST';
    if (req.method !== wanted && !(wanted === 'GET' && req.method === 'HEAD')) {
      res.writeHead(405, { allow: wanted }).end();
      return true;
    }
    const body = wanted === 'POST' ? await readBody(req, MAX_MODALIASES_BODY) : '';
    if (body === null) return send(413, 'too many modaliases\n');
    const modaliases = (body ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
    if (modaliases.length > MAX_MODALIASES) return send(413, `more than ${MAX_MODALIASES} modaliases: no server has that many devices\n`);
    if (!modaliases.every((modalias) => MODALIAS.test(modalias))) return send(400, 'one modalias per line, printable ASCII\n');
    try {
      const source = await drivers();
      if (!source) return send(404, 'the deploy ramdisk in use carries its own drivers\n');
      const archive = url.pathname === NIC_DRIVERS_PATH ? await source.forBootNic(url.searchParams.get('busid') ?? '') : await source.forModaliases(modaliases);
      return send(200, archive, 'application/x-cpio');
    } catch (error) {
      onError(error instanceof Error ? error.message : String(error));
      return send(500, 'the built-in ramdisk\'s drivers could not be read: see the Rackboot log\n');
    }
  };
}

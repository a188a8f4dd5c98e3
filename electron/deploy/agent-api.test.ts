import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AgentApi, renderJob, type AgentJob, type AgentRefusal, type AgentReport } from './agent-api';

const job: AgentJob = {
  nodeId: 'n1',
  mac: '52:54:00:12:34:56',
  token: 'tok-123',
  imageUrl: 'http://10.77.0.1:8080/images/abc/data',
  imageMapUrl: 'http://10.77.0.1:8080/images/abc/extents',
  imageFormat: 'qcow2',
  imageSize: 33554432,
  virtualSize: 4294967296,
  action: 'deploy',
  disk: '/dev/vda',
  clean: [],
};

function setup(): { api: AgentApi; reports: AgentReport[]; refusals: AgentRefusal[] } {
  const reports: AgentReport[] = [];
  const refusals: AgentRefusal[] = [];
  const api = new AgentApi(
    (_job, report) => reports.push(report),
    (refusal) => refusals.push(refusal),
  );
  api.offer(job);
  return { api, reports, refusals };
}

const request = (method: string, path: string, query: string, body = '') => ({ method, path, query: new URLSearchParams(query), body });

describe('agent API', () => {
  it('gives the job as key=value lines to the agent with the right MAC and token', () => {
    const { api, reports } = setup();
    const response = api.handle(request('GET', '/agent/v1/job', 'mac=52:54:00:12:34:56&token=tok-123'));
    expect(response).toEqual({
      status: 200,
      body: 'action=deploy\nimage_url=http://10.77.0.1:8080/images/abc/data\nimage_map_url=http://10.77.0.1:8080/images/abc/extents\nimage_format=qcow2\nimage_size=33554432\nvirtual_size=4294967296\ndisk=/dev/vda\nclean=none\n',
    });
    expect(reports).toEqual([{ kind: 'connected' }]);
  });

  it('takes the inventory first, and holds a deploy job back until Rackboot has chosen its disk from it', () => {
    const { api, reports, refusals } = setup();
    api.offer({ ...job, disk: null });
    const q = 'mac=52:54:00:12:34:56&token=tok-123';
    expect(api.handle(request('GET', '/agent/v1/job', q))?.status).toBe(409);
    expect(refusals.at(-1)?.reason).toMatch(/post the inventory first/);
    expect(api.handle(request('POST', '/agent/v1/inventory', q, 'arch=x86_64\n'))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/inventory', q, '   '))?.status).toBe(400);
    expect(reports).toEqual([{ kind: 'inventory', report: 'arch=x86_64\n' }]);
    api.offer({ ...job, disk: '/dev/sdb', clean: ['/dev/sdb', '/dev/sdc'] });
    expect(api.handle(request('GET', '/agent/v1/job', q))?.body).toMatch(/^disk=\/dev\/sdb\nclean=\/dev\/sdb,\/dev\/sdc$/m);
  });

  it('takes the LLDP report apart from the inventory, empty when no switch spoke, only from the agent with the token', () => {
    const { api, reports } = setup();
    expect(api.handle(request('POST', '/agent/v1/lldp', 'mac=52:54:00:12:34:56&token=tok-123', ''))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/lldp', 'mac=52:54:00:12:34:56&token=tok-123', 'lldp.eth0=0180c2\n'))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/lldp', 'mac=52:54:00:12:34:56&token=wrong', 'lldp.eth0=0180c2\n'))?.status).toBe(403);
    expect(api.handle(request('GET', '/agent/v1/lldp', 'mac=52:54:00:12:34:56&token=tok-123'))?.status).toBe(405);
    expect(reports).toEqual([{ kind: 'lldp', report: '' }, { kind: 'lldp', report: 'lldp.eth0=0180c2\n' }]);
  });

  it('gives an inspection job as the action alone', () => {
    expect(renderJob({ ...job, action: 'inspect', disk: null })).toBe('action=inspect');
  });

  it('reports every request it refuses with the MAC it named and why, never echoing what is not a MAC', () => {
    const { api, refusals } = setup();
    api.handle(request('GET', '/agent/v1/job', 'mac=52:54:00:12:34:56&token=guess'));
    api.handle(request('GET', '/agent/v1/job', 'mac=52:54:00:00:00:00&token=tok-123'));
    api.handle(request('GET', '/agent/v1/job', 'mac=<script>&token=tok-123'));
    api.handle(request('POST', '/agent/v1/job', 'mac=52:54:00:12:34:56&token=tok-123'));
    api.handle(request('POST', '/agent/v1/progress', 'mac=52:54:00:12:34:56&token=tok-123', 'written=lots'));
    api.handle(request('GET', '/agent/v1/job', 'mac=52:54:00:12:34:56&token=tok-123'));
    expect(refusals).toEqual([
      { mac: '52:54:00:12:34:56', endpoint: 'job', status: 403, reason: 'wrong job token' },
      { mac: '52:54:00:00:00:00', endpoint: 'job', status: 404, reason: 'no deploy job for this MAC' },
      { mac: null, endpoint: 'job', status: 404, reason: 'no deploy job for this MAC' },
      { mac: '52:54:00:12:34:56', endpoint: 'job', status: 405, reason: 'GET only' },
      { mac: '52:54:00:12:34:56', endpoint: 'progress', status: 400, reason: 'malformed progress report' },
    ]);
  });

  it('refuses another machine that knows the MAC but not the token', () => {
    const { api, reports } = setup();
    expect(api.handle(request('GET', '/agent/v1/job', 'mac=52:54:00:12:34:56&token=guess'))?.status).toBe(403);
    expect(api.handle(request('POST', '/agent/v1/result', 'mac=52:54:00:12:34:56', `sha256=${'a'.repeat(64)}`))?.status).toBe(403);
    expect(reports).toEqual([]);
  });

  it('answers 404 for a MAC without a job and leaves other paths to other routes', () => {
    const { api } = setup();
    expect(api.handle(request('GET', '/agent/v1/job', 'mac=52:54:00:00:00:00&token=tok-123'))?.status).toBe(404);
    expect(api.handle(request('GET', '/boot/node.ipxe', ''))).toBeNull();
  });

  it('passes progress, log, result and failure reports on, and rejects malformed ones', () => {
    const { api, reports } = setup();
    const q = 'mac=52:54:00:12:34:56&token=tok-123';
    expect(api.handle(request('POST', '/agent/v1/progress', q, 'written=1048576'))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/log', q, 'job received\n'))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/result', q, `sha256=${'AB'.repeat(32)}`))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/failed', q, 'reason=target disk /dev/vda not found'))?.status).toBe(200);
    expect(api.handle(request('POST', '/agent/v1/progress', q, 'written=-4'))?.status).toBe(400);
    expect(api.handle(request('POST', '/agent/v1/result', q, 'sha256=xyz'))?.status).toBe(400);
    expect(reports).toEqual([
      { kind: 'progress', written: 1048576 },
      { kind: 'log', line: 'job received' },
      { kind: 'result', sha256: 'ab'.repeat(32) },
      { kind: 'failed', reason: 'target disk /dev/vda not found' },
    ]);
  });

  it('never renders a value the agent shell could misread', () => {
    expect(() => renderJob({ ...job, disk: '/dev/vda; reboot' })).toThrow(/cannot read safely/);
  });
});

describe('agent API: config drive', () => {
  const auth = 'mac=52:54:00:12:34:56&token=tok-123';
  const regions = [
    { lba: 409_600, data: new Uint8Array(2048).fill(7) },
    { lba: 0, data: new Uint8Array(512).fill(1) },
  ];

  it('plans for the disk the agent describes, then serves each region in base64 and takes the read-back sums', () => {
    const disks: { sectors: number; sectorSize: number }[] = [];
    const reports: AgentReport[] = [];
    const api = new AgentApi(
      (_job, report) => reports.push(report),
      () => undefined,
      (_job, disk) => {
        disks.push(disk);
        return { kind: 'regions', summary: 'partition 3 (GPT)', regions };
      },
    );
    api.offer(job);
    const plan = api.handle(request('GET', '/agent/v1/config-drive', `${auth}&disk_sectors=409601&sector_size=512`))!;
    expect(disks).toEqual([{ sectors: 409_601, sectorSize: 512 }]);
    const sum = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
    expect(plan.body).toBe(`config_drive=yes\nsummary=partition 3 (GPT)\nregion=409600:${sum(regions[0]!.data)}\nregion=0:${sum(regions[1]!.data)}\n`);
    const region = api.handle(request('GET', '/agent/v1/config-drive-region', `${auth}&index=1`))!;
    expect(Buffer.from(region.body, 'base64')).toEqual(Buffer.from(regions[1]!.data));
    expect(region.body.split('\n').every((line) => line.length <= 76)).toBe(true);
    expect(api.handle(request('GET', '/agent/v1/config-drive-region', `${auth}&index=2`))!.status).toBe(404);
    const written = `region=409600:${sum(regions[0]!.data)}\nregion=0:${sum(regions[1]!.data)}\n`;
    expect(api.handle(request('POST', '/agent/v1/config-drive-written', auth, written))!.status).toBe(200);
    expect(reports.at(-1)).toEqual({ kind: 'config-drive-written', regions: [{ lba: 409_600, sha256: sum(regions[0]!.data) }, { lba: 0, sha256: sum(regions[1]!.data) }] });
    expect(api.handle(request('POST', '/agent/v1/config-drive-written', auth, 'region=12:nothex\n'))!.status).toBe(400);
  });

  it('answers none or the refusal in one line, and refuses a malformed disk size', () => {
    const api = new AgentApi(() => undefined, () => undefined, (_job, disk) =>
      disk.sectors > 1000 ? { kind: 'refused', reason: 'all four primary\npartitions in use' } : { kind: 'none' },
    );
    api.offer(job);
    expect(api.handle(request('GET', '/agent/v1/config-drive', `${auth}&disk_sectors=5000&sector_size=512`))!.body).toBe('refused=all four primary partitions in use\n');
    expect(api.handle(request('GET', '/agent/v1/config-drive', `${auth}&disk_sectors=10&sector_size=512`))!.body).toBe('config_drive=none\n');
    expect(api.handle(request('GET', '/agent/v1/config-drive', `${auth}&disk_sectors=-1`))!.status).toBe(400);
    expect(api.handle(request('GET', '/agent/v1/config-drive', 'mac=52:54:00:12:34:56&token=bad&disk_sectors=10'))!.status).toBe(403);
  });
});

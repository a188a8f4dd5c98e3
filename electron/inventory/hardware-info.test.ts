import { describe, expect, it } from 'vitest';
import { formatHardwareInfo, parseHardwareInfo, PASSWORD_PLACEHOLDER } from './hardware-info';

describe('hardware_info parsing', () => {
  it('reads the DevStack guide example line', () => {
    const { entries, problems } = parseHardwareInfo('10.1.91.4 00:1B:24:78:4C:B2 root password\n');
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      {
        line: 1,
        bmcAddress: '10.1.91.4',
        mac: '00:1b:24:78:4c:b2',
        bmcUser: 'root',
        bmcPassword: 'password',
        bmcProtocol: 'auto',
        redfishSystemId: null,
      },
    ]);
  });

  it("reads DevStack's Redfish line: a fifth field names the ComputerSystem", () => {
    const { entries, problems } = parseHardwareInfo('10.1.91.5 00:1B:24:78:4C:B3 root calvin /redfish/v1/Systems/System.Embedded.1\n');
    expect(problems).toEqual([]);
    expect(entries[0]).toMatchObject({ bmcProtocol: 'redfish', redfishSystemId: '/redfish/v1/Systems/System.Embedded.1' });
  });

  it('refuses a fifth field that is no system id, showing none of the fields that may hold a password', () => {
    const { entries, problems } = parseHardwareInfo('10.0.0.1 52:54:00:00:00:01 admin correct horse');
    expect(entries).toEqual([]);
    expect(problems[0]!.reason).toContain('not a Redfish system id');
    expect(JSON.stringify(problems)).not.toMatch(/correct|horse/);
    expect(parseHardwareInfo('10.0.0.1 52:54:00:00:00:01 admin pw /redfish/v1/Systems/../x').problems).toHaveLength(1);
  });

  it('writes the system id of a Redfish node as the fifth field, which an import reads back', () => {
    const { text } = formatHardwareInfo([
      { name: 'a', bmcAddress: '10.0.0.9', mac: '52:54:00:00:00:09', bmcUser: 'admin', bmcPassword: 'pw', redfishSystemId: '/redfish/v1/Systems/1' },
    ]);
    expect(text).toBe('10.0.0.9 52:54:00:00:00:09 admin pw /redfish/v1/Systems/1\n');
    expect(parseHardwareInfo(text).entries[0]).toMatchObject({ bmcProtocol: 'redfish', redfishSystemId: '/redfish/v1/Systems/1' });
  });

  it('keeps good lines and reports each bad one by its line number', () => {
    const text = ['10.0.0.1 52:54:00:00:00:01 admin pw1', '10.0.0.999 52:54:00:00:00:02 admin pw2', '', '10.0.0.3 not-a-mac admin pw3', '10.0.0.4 52:54:00:00:00:04 admin'].join('\n');
    const { entries, problems } = parseHardwareInfo(text);
    expect(entries.map((entry) => entry.line)).toEqual([1]);
    expect(problems.map((problem) => problem.line)).toEqual([2, 4, 5]);
    expect(problems[0]!.reason).toContain('10.0.0.999');
    expect(problems[1]!.reason).toContain('not-a-mac');
    expect(problems[2]!.reason).toContain('expected 4 fields');
  });

  it('never repeats a password in a problem report', () => {
    const { problems } = parseHardwareInfo('10.0.0.300 52:54:00:00:00:01 admin s3cretPW');
    expect(JSON.stringify(problems)).not.toContain('s3cretPW');
  });

  it('shows no part of a password that has spaces in it', () => {
    const { entries, problems } = parseHardwareInfo('10.0.0.1 52:54:00:00:00:01 admin correct horse battery');
    expect(entries).toEqual([]);
    expect(problems[0]!.reason).toContain('expected 4 fields');
    for (const word of ['correct', 'horse', 'battery']) expect(JSON.stringify(problems)).not.toContain(word);
  });

  it('shows no password of a line missing a field, whichever column it slid into', () => {
    const text = ['10.0.0.1 52:54:00:00:00:01 Sw0rdf1sh', '10.0.0.2 admin Sw0rdf1sh', '10.0.0.3 admin Sw0rdf1sh extra', '10.0.0.4 my Sw0rdf1sh pw'].join('\n');
    const { problems } = parseHardwareInfo(text);
    expect(problems.map((problem) => problem.line)).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify(problems)).not.toContain('Sw0rdf1sh');
  });

  it('refuses control characters in the user name or password, quoting neither', () => {
    const { entries, problems } = parseHardwareInfo('10.0.0.1 52:54:00:00:00:01 ro\u0000ot pw\n10.0.0.2 52:54:00:00:00:02 root Zq9\u0001xy');
    expect(entries).toEqual([]);
    expect(problems.map((problem) => problem.reason)).toEqual([
      expect.stringContaining('user name contains a control character'),
      expect.stringContaining('password contains a control character'),
    ]);
    expect(JSON.stringify(problems)).not.toContain('Zq9');
  });

  it('refuses the placeholder an export without passwords writes', () => {
    const { entries, problems } = parseHardwareInfo(`10.0.0.1 52:54:00:00:00:01 root ${PASSWORD_PLACEHOLDER}`);
    expect(entries).toEqual([]);
    expect(problems[0]!.reason).toContain("put the BMC's password in its place");
  });

  it('skips comments, blank lines and Windows line endings', () => {
    const { entries, problems } = parseHardwareInfo('# rack 4\r\n\r\n10.0.0.1 52-54-00-00-00-01 root pw\r\n');
    expect(problems).toEqual([]);
    expect(entries[0]).toMatchObject({ line: 3, mac: '52:54:00:00:00:01' });
  });
});

describe('hardware_info export', () => {
  it('writes one IP MAC USER PASS line per node that has a MAC, and lists the others', () => {
    const { text, skipped } = formatHardwareInfo([
      { name: 'a', bmcAddress: '10.0.0.1', mac: '52:54:00:00:00:01', bmcUser: 'root', bmcPassword: 'pw' },
      { name: 'b', bmcAddress: '10.0.0.2', mac: null, bmcUser: 'root', bmcPassword: 'pw' },
    ]);
    expect(text).toBe('10.0.0.1 52:54:00:00:00:01 root pw\n');
    expect(skipped).toEqual([{ name: 'b', reason: expect.stringContaining('no MAC') }]);
  });

  it('without passwords, writes the placeholder under a comment that says what to do', () => {
    const { text, exported } = formatHardwareInfo([{ name: 'a', bmcAddress: '10.0.0.1', mac: '52:54:00:00:00:01', bmcUser: 'root' }]);
    expect(text).toBe(`# Exported without passwords: write each BMC's password in place of ******** before importing.\n10.0.0.1 52:54:00:00:00:01 root ********\n`);
    expect(exported).toBe(1);
  });

  it('round-trips through the parser', () => {
    const nodes = [
      { name: 'x', bmcAddress: '192.168.2.20', mac: 'aa:bb:cc:dd:ee:ff', bmcUser: 'ADMIN', bmcPassword: 'ADMIN' },
      { name: 'y', bmcAddress: 'bmc-7.lab', mac: '00:11:22:33:44:55', bmcUser: 'root', bmcPassword: 'calvin' },
    ];
    const parsed = parseHardwareInfo(formatHardwareInfo(nodes).text);
    expect(parsed.entries.map(({ line: _line, ...rest }) => rest)).toEqual(
      nodes.map(({ name: _name, ...rest }) => ({ ...rest, bmcProtocol: 'auto', redfishSystemId: null })),
    );
  });
});

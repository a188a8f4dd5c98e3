import { describe, expect, it } from 'vitest';
import { faultString } from './api-client';
import { negotiateMicroversion, parseMicroversion, parseVersionDocument } from './microversion';
import { explainLastError } from './plain-words';

// As Ironic 21.4 (Debian 12) answers GET / (trimmed to the fields read).
const ROOT = JSON.stringify({
  name: 'OpenStack Ironic API',
  versions: [{ id: 'v1', links: [], status: 'CURRENT', version: '1.82', min_version: '1.1' }],
  default_version: { id: 'v1', status: 'CURRENT', version: '1.82', min_version: '1.1' },
});

describe('microversion negotiation', () => {
  it('reads the v1 range and agrees on the highest version both speak', () => {
    const range = parseVersionDocument(ROOT)!;
    expect(range.max.text).toBe('1.82');
    expect(negotiateMicroversion(range).text).toBe('1.82');
    expect(negotiateMicroversion({ min: parseMicroversion('1.1')!, max: parseMicroversion('1.99')! }).text).toBe('1.82');
    expect(negotiateMicroversion({ min: parseMicroversion('1.1')!, max: parseMicroversion('1.46')! }).text).toBe('1.46');
  });

  it('refuses an Ironic too old or one that dropped the versions Rackboot speaks, saying what to do', () => {
    expect(() => negotiateMicroversion({ min: parseMicroversion('1.1')!, max: parseMicroversion('1.18')! })).toThrow(/needs 1\.19 or later.*export a file/);
    expect(() => negotiateMicroversion({ min: parseMicroversion('1.90')!, max: parseMicroversion('1.95')! })).toThrow(/baremetal create/);
  });

  it('does not take a document that is not Ironic’s', () => {
    expect(parseVersionDocument('<html>')).toBeNull();
    expect(parseVersionDocument('{"versions": [{"id": "v2.1", "version": "2.90"}]}')).toBeNull();
    expect(parseVersionDocument('{"versions": [{"id": "v1", "version": "1.5", "min_version": "1.9"}]}')).toBeNull();
    expect(parseMicroversion('1.x')).toBeNull();
    expect(parseMicroversion(1.5)).toBeNull();
  });
});

describe('Ironic error text', () => {
  it('unwraps the faultstring from its doubly encoded error body', () => {
    const body = JSON.stringify({ error_message: JSON.stringify({ faultstring: 'Node r1 could not be found.', faultcode: 'Client', debuginfo: null }) });
    expect(faultString(body)).toBe('Node r1 could not be found.');
    expect(faultString('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBe('502 Bad Gateway');
    expect(faultString('')).toBe('no reason given');
  });

  it('turns a failed IPMI check into what to do', () => {
    const said = 'Failed to get power state for node 1be2. Error: IPMI call failed: power status.';
    const text = explainLastError(said, { protocol: 'ipmi', address: '10.77.0.101', port: 623, username: 'admin1', password: null });
    expect(text).toMatch(/could not sign in to the BMC at 10\.77\.0\.101:623 over IPMI.*check the BMC password/);
    expect(text).toContain(said);
  });
});

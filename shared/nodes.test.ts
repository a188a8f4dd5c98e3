import { describe, expect, it } from 'vitest';
import { bmcCredentialsSchema } from './bmc';
import { credentialsProblem, HARDWARE_INFO_MAX_CHARACTERS, hardwareInfoTextSchema, nodeInputSchema, nodeUpdateSchema } from './nodes';

const server = { name: 'r1', bmcAddress: '10.1.91.4', bmcUser: 'root', bmcPassword: 'Pa55word' };

describe('BMC credentials', () => {
  it.each(['Zq9\u0000xy', 'Zq9\txy', 'Zq9\nxy', 'Zq9\u001bxy', 'Zq9\u007fxy', 'Zq9\u0085xy'])(
    'refuses a password with a control character (%j), without repeating it',
    (password) => {
      const result = nodeInputSchema.safeParse({ ...server, bmcPassword: password });
      expect(result.success).toBe(false);
      const message = result.error!.issues.map((issue) => issue.message).join(' ');
      expect(message).toContain('control character');
      expect(message).not.toContain('Zq9');
    },
  );

  it('refuses a user name with NUL or a line break, in new nodes, changes and connection tests alike', () => {
    for (const bmcUser of ['ro\u0000ot', 'root\n']) {
      expect(nodeInputSchema.safeParse({ ...server, bmcUser }).error?.issues[0]?.message).toContain('control character');
      expect(nodeUpdateSchema.safeParse({ id: 'x', changes: { bmcUser } }).success).toBe(false);
      expect(bmcCredentialsSchema.safeParse({ address: '10.0.0.1', user: bmcUser, password: 'pw' }).success).toBe(false);
    }
    expect(nodeUpdateSchema.safeParse({ id: 'x', changes: { bmcPassword: 'a\u0000' } }).success).toBe(false);
    expect(bmcCredentialsSchema.safeParse({ address: '10.0.0.1', user: 'root', password: 'a\u0000' }).success).toBe(false);
  });

  it('counts IPMI limits in bytes for an IPMI node, Redfish\'s wider ones for the rest, and takes printable names and passwords', () => {
    expect(credentialsProblem('é'.repeat(9), 'x', 'ipmi')).toMatch(/16 bytes.*Redfish/);
    expect(credentialsProblem('root', 'a'.repeat(21), 'ipmi')).toMatch(/20 bytes.*Redfish/);
    expect(credentialsProblem('root', 'a'.repeat(40), 'redfish')).toBeNull();
    expect(credentialsProblem('é'.repeat(9), 'a'.repeat(40), 'auto')).toBeNull();
    expect(credentialsProblem('root', 'a'.repeat(256), 'redfish')).toMatch(/255 bytes/);
    expect(nodeInputSchema.safeParse({ ...server, bmcUser: 'x'.repeat(256) }).success).toBe(false);
    expect(nodeInputSchema.safeParse({ ...server, bmcUser: 'ADMIN user_1-x.y', bmcPassword: 'p@ss w0rd!~"\'<>{}' }).success).toBe(true);
  });
});

describe('hardware_info text', () => {
  it('names the line the size limit falls in', () => {
    const line = '10.0.0.1 52:54:00:00:00:01 root password\n';
    const text = line.repeat(Math.ceil(HARDWARE_INFO_MAX_CHARACTERS / line.length) + 10);
    const limitLine = Math.floor(HARDWARE_INFO_MAX_CHARACTERS / line.length) + 1;
    const message = hardwareInfoTextSchema.safeParse(text).error?.issues[0]?.message;
    expect(message).toContain(`line ${limitLine}`);
    expect(hardwareInfoTextSchema.safeParse(line.repeat(100)).success).toBe(true);
  });
});

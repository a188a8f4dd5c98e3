import { describe, expect, it } from 'vitest';
import { ipmiTargetSchema } from './ipmi';

describe('IPMI target schema', () => {
  it('fills in port 623, automatic cipher suite and administrator privilege', () => {
    expect(ipmiTargetSchema.parse({ address: '10.1.91.4', user: 'root', password: 'calvin' })).toEqual({
      address: '10.1.91.4',
      port: 623,
      user: 'root',
      password: 'calvin',
      cipherSuite: 'auto',
      privilege: 'administrator',
    });
  });

  it('counts the password limit in bytes, as the BMC does', () => {
    expect(ipmiTargetSchema.safeParse({ address: 'bmc-7', user: 'root', password: 'x'.repeat(20) }).success).toBe(true);
    expect(ipmiTargetSchema.safeParse({ address: 'bmc-7', user: 'root', password: 'é'.repeat(11) }).success).toBe(false);
  });

  it('takes a BMC key as text or 0x-prefixed hex', () => {
    const base = { address: '10.1.91.4', user: 'root', password: 'p' };
    expect(ipmiTargetSchema.safeParse({ ...base, kg: 'rack-key' }).success).toBe(true);
    expect(ipmiTargetSchema.safeParse({ ...base, kg: `0x${'ab'.repeat(20)}` }).success).toBe(true);
    expect(ipmiTargetSchema.safeParse({ ...base, kg: '0xabc' }).success).toBe(false);
  });

  it('refuses an address with spaces or slashes', () => {
    expect(ipmiTargetSchema.safeParse({ address: '10.1.91.0/24', user: 'root', password: 'p' }).success).toBe(false);
  });
});

import { z } from 'zod';

/** A dotted-quad IPv4 address, each part 0–255. */
export const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const ipv4Schema = z.string().trim().refine((value) => IPV4_PATTERN.test(value), {
  message: 'must be an IPv4 address like 192.168.2.10',
});

/**
 * An IPv4 subnet written `address/prefix`, with the prefix lengths the caller can use: a network setup needs a real
 * subnet (/8–/30), a discovery scan one small enough to walk (/16 or longer).
 */
export function ipv4CidrSchema(prefix: { min: number; max: number }, example: string) {
  return z
    .string()
    .trim()
    .refine(
      (value) => {
        const [address, length, ...rest] = value.split('/');
        return rest.length === 0 && address !== undefined && IPV4_PATTERN.test(address) && /^\d{1,2}$/.test(length ?? '') && Number(length) >= prefix.min && Number(length) <= prefix.max;
      },
      { message: `use a subnet like ${example} (prefix length ${prefix.min}–${prefix.max})` },
    );
}

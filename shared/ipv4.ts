import { z } from 'zod';

/** A dotted-quad IPv4 address, each part 0–255. */
export const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const ipv4Schema = z.string().trim().refine((value) => IPV4_PATTERN.test(value), {
  message: 'must be an IPv4 address like 192.168.2.10',
});

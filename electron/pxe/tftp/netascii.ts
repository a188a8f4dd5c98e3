// RFC 1350 netascii for sending: every LF becomes CR LF and every bare CR becomes CR NUL. Pure.

export function toNetascii(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (const byte of bytes) if (byte === 0x0a || byte === 0x0d) extra += 1;
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let o = 0;
  for (const byte of bytes) {
    if (byte === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    } else if (byte === 0x0d) {
      out[o++] = 0x0d;
      out[o++] = 0x00;
    } else {
      out[o++] = byte;
    }
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { contentTypeOf } from './mime-types';

describe('content types', () => {
  it('names the renderer files and the boot files by extension, in any case', () => {
    expect(contentTypeOf('dist/renderer/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('boot/script.IPXE')).toBe('text/plain; charset=utf-8');
  });

  it('sends anything else as bytes, so a browser never guesses', () => {
    expect(contentTypeOf('images/disk.raw')).toBe('application/octet-stream');
    expect(contentTypeOf('vmlinuz')).toBe('application/octet-stream');
  });
});

/**
 * Whether `url` is the wizard's own page: the very file Electron loaded (`rendererIndexUrl`, a file: URL), with any
 * query or fragment. A prefix test is not enough: `…/dist/renderer` is also the start of `…/dist/renderer-x/…`.
 * Kept free of `electron` so it can be tested; the shell (ipc.ts, main.ts) uses it for IPC calls and navigation.
 */
export function isRendererPage(url: string, rendererIndexUrl: string): boolean {
  let page: URL;
  try {
    page = new URL(url);
  } catch {
    return false;
  }
  const index = new URL(rendererIndexUrl);
  // URL parsing resolves `..` and `%2e%2e` segments, so a path that climbs out and back in compares as what it is.
  return page.protocol === 'file:' && index.protocol === 'file:' && page.host === index.host && page.pathname === index.pathname;
}

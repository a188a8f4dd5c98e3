import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRendererPage } from './renderer-page';

const index = pathToFileURL('/opt/Rackboot/resources/app/dist/renderer/index.html').href;

describe('the check that an IPC call or a navigation comes from the wizard’s own page', () => {
  it('accepts the page Electron loaded, with a query or fragment', () => {
    expect(isRendererPage(index, index)).toBe(true);
    expect(isRendererPage(`${index}#/nodes`, index)).toBe(true);
    expect(isRendererPage(`${index}?step=2`, index)).toBe(true);
  });

  it('refuses a page in a sibling folder whose name starts like the renderer folder', () => {
    expect(isRendererPage('file:///opt/Rackboot/resources/app/dist/renderer-x/index.html', index)).toBe(false);
    expect(isRendererPage('file:///opt/Rackboot/resources/app/dist/rendererindex.html', index)).toBe(false);
  });

  it('refuses another file in the renderer folder and paths that climb out of it', () => {
    expect(isRendererPage('file:///opt/Rackboot/resources/app/dist/renderer/other.html', index)).toBe(false);
    expect(isRendererPage('file:///opt/Rackboot/resources/app/dist/renderer/../renderer-x/index.html', index)).toBe(false);
    expect(isRendererPage('file:///opt/Rackboot/resources/app/dist/renderer/%2e%2e/renderer-x/index.html', index)).toBe(false);
  });

  it('accepts the same file reached through . or .. segments, as the URL resolves them', () => {
    expect(isRendererPage('file:///opt/Rackboot/resources/app/dist/x/../renderer/./index.html', index)).toBe(true);
  });

  it('refuses other schemes and hosts, and what is not a URL', () => {
    expect(isRendererPage('http://127.0.0.1:8765/index.html', index)).toBe(false);
    expect(isRendererPage(index.replace('file:///', 'file://evil.example/'), index)).toBe(false);
    expect(isRendererPage(`https://evil.example/${index}`, index)).toBe(false);
    expect(isRendererPage('', index)).toBe(false);
    expect(isRendererPage('not a url', index)).toBe(false);
  });
});

import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../shared/api';
import type { Core } from './core/core';
import { createEventBatcher } from './core/event-batcher';
import { isRendererPage } from './renderer-page';

/** Only the wizard's own page (its index.html in the app bundle) may call the core. */
function fromOurPage(event: IpcMainInvokeEvent, rendererIndexUrl: string): boolean {
  return isRendererPage(event.senderFrame?.url ?? '', rendererIndexUrl);
}

/** Connects the core to one window: calls in (validated by the core's dispatcher), events out. */
export function registerIpc(core: Core, window: BrowserWindow, rendererIndexUrl: string): () => void {
  const events = createEventBatcher((batch) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, batch);
  });
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (event.sender.id !== window.webContents.id || !fromOurPage(event, rendererIndexUrl)) {
      return { ok: false, error: { code: 'forbidden', message: 'Request from an unknown page was refused.' } };
    }
    const result = await core.call(method, input);
    events.flush();
    return result;
  });
  const unsubscribe = core.bus.subscribe(events.push);
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_CALL_CHANNEL);
  };
}

import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type PreloadBridge, type WsEvent } from '../shared/api';

// The renderer gets exactly two functions, never ipcRenderer itself.
const bridge: PreloadBridge = {
  call: (method, input) => ipcRenderer.invoke(IPC_CALL_CHANNEL, method, input),
  subscribe: (listener) => {
    // Events come in batches, one per turn of the main process's event loop.
    const handler = (_event: IpcRendererEvent, batch: WsEvent[]): void => {
      for (const { event, payload } of batch) listener(event, payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('rackboot', bridge);

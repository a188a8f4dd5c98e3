import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type PreloadBridge } from '../shared/api';

// The renderer gets exactly two functions, never ipcRenderer itself.
const bridge: PreloadBridge = {
  call: (method, input) => ipcRenderer.invoke(IPC_CALL_CHANNEL, method, input),
  subscribe: (listener) => {
    const handler = (_event: IpcRendererEvent, name: string, payload: unknown): void => listener(name, payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('rackboot', bridge);

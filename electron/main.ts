import { app, BrowserWindow, dialog, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCore, type Core } from './core/core';
import type { ExportDestination } from './inventory/hardware-info-export';
import type { FilePicker } from './core/file-picker';
import type { FilePurpose } from '../shared/setup';
import { registerIpc } from './ipc';
import { isRendererPage } from './renderer-page';
import { safeStorageBox } from './safe-storage-box';
import { loadWindowState, saveWindowState } from './window-state';
import { CONTENT_SECURITY_POLICY } from './lib/content-security-policy';

const rendererDir = path.join(__dirname, '../renderer');
const rendererIndex = path.join(rendererDir, 'index.html');
const rendererIndexUrl = pathToFileURL(rendererIndex).href;

let core: Core | undefined;

/** Exports go where the operator says in the system's save dialog; the core writes the file (mode 0600). */
const saveDialog: ExportDestination = {
  kind: 'save-dialog',
  async choosePath(suggestedName) {
    const options = { title: `Export ${suggestedName}`, defaultPath: path.join(app.getPath('documents'), suggestedName) };
    const parent = BrowserWindow.getFocusedWindow();
    const choice = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
    return choice.canceled || !choice.filePath ? null : choice.filePath;
  },
};

/** What the open dialog shows for each file the wizard asks for. */
const OPEN_DIALOGS: Record<FilePurpose, { title: string; properties: ('openFile' | 'openDirectory')[]; filters?: Electron.FileFilter[] }> = {
  image: {
    title: 'Choose the OS image',
    properties: ['openFile'],
    filters: [
      { name: 'Disk images', extensions: ['raw', 'img', 'gz', 'qcow2', 'xz', 'zst', 'iso'] },
      { name: 'All files', extensions: ['*'] },
    ],
  },
  kernel: { title: 'Choose the deploy kernel (vmlinuz)', properties: ['openFile'] },
  initrd: { title: 'Choose the initrd to append the agent to', properties: ['openFile'] },
  // A .deb or its unpacked folder: macOS shows both in one dialog; elsewhere the dialog picks folders.
  modules: {
    title: 'Choose the kernel modules (linux-image .deb, or the folder it was unpacked to)',
    properties: process.platform === 'darwin' ? ['openFile', 'openDirectory'] : ['openDirectory'],
  },
  busybox: { title: 'Choose a static busybox', properties: ['openFile'] },
};

/** The core asks for files through the system's open dialog; only the path chosen travels back. */
const openDialog: FilePicker = {
  async choose(purpose) {
    const options = OPEN_DIALOGS[purpose];
    const parent = BrowserWindow.getFocusedWindow();
    const choice = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
    return choice.canceled ? null : (choice.filePaths[0] ?? null);
  },
};

async function createWindow(core: Core): Promise<void> {
  const stateFile = path.join(app.getPath('userData'), 'window-state.json');
  const state = await loadWindowState(stateFile);
  const window = new BrowserWindow({
    ...state,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Rackboot',
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (state.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());

  // The wizard never navigates away or opens windows; links to docs open in the user's browser.
  window.webContents.on('will-navigate', (event, url) => {
    if (!isRendererPage(url, rendererIndexUrl)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });

  const unregister = registerIpc(core, window, rendererIndexUrl);
  window.on('close', () => {
    const bounds = window.getNormalBounds();
    void saveWindowState(stateFile, { ...bounds, maximized: window.isMaximized() });
  });
  window.on('closed', unregister);
  await window.loadFile(rendererIndex);
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  const started = await createCore({
    dataDir: process.env.RACKBOOT_DATA_DIR ?? app.getPath('userData'),
    secrets: safeStorageBox(),
    shell: 'electron',
    version: app.getVersion(),
    exportDestination: saveDialog,
    filePicker: openDialog,
  });
  core = started;
  await createWindow(started);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow(started);
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('window-all-closed', () => {
    void (core?.close() ?? Promise.resolve()).then(() => app.quit());
  });
  start().catch((error: unknown) => {
    dialog.showErrorBox('Rackboot could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}

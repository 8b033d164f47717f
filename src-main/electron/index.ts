// Electron main process entry (out/main/index.js). Thin glue only: window,
// security settings, and the contract served over IPC by the same ApiService
// that browser mode serves over HTTP (src-main/app). Jobs run in utility
// processes (utility-fork.ts); nothing heavy runs here.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session } from 'electron';
import { ApiService } from '../app/api-service';
import { JobRunner } from '../jobs/runner';
import { registerIpc } from './ipc';
import { forkWithUtilityProcess } from './utility-fork';
import { CSP } from '../../src-shared/csp';


// Set by `electron-vite dev` to the renderer dev server.
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const rendererIndex = join(import.meta.dirname, '../renderer/index.html');

/** The page our windows load, and the only one whose calls are answered. */
function isOurPage(url: string): boolean {
  try {
    const u = new URL(url);
    if (devServerUrl) return u.origin === new URL(devServerUrl).origin;
    u.search = '';
    u.hash = '';
    return u.protocol === 'file:' && fileURLToPath(u) === rendererIndex;
  } catch {
    return false;
  }
}

const service = new ApiService({ runner: new JobRunner({ fork: forkWithUtilityProcess }) });

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Weightline',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  win.once('ready-to-show', () => win.show());

  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

app.enableSandbox();

// No navigation away from the app page, no new windows, no <webview>, for every
// webContents that will ever exist.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

void app.whenReady().then(async () => {
  if (!devServerUrl) {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({
        responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] },
      });
    });
  }
  // The app needs no camera, microphone, notifications...
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  registerIpc(service, isOurPage);
  // Reopen the last store (a few small reads). On a first run there is none:
  // the window shows at once (the welcome view, open / create / sample), and
  // the sample history is made by a job (in the app-data folder, dataDir());
  // it opens by itself when the job is done (storeChanged).
  const [last] = await service.recentStores();
  if (last) await service.openStore(last).catch(() => undefined);

  const win = createWindow();
  if (!last) win.once('ready-to-show', () => { void service.call('store.openSample', {}); });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

// Running jobs are killed on quit: the store's temp-file + rename writes make
// that safe, and the next writer sweeps what they left.
app.on('will-quit', () => { void service.dispose(); });

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

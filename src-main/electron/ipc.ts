// The contract over Electron IPC: one invoke channel for every call, one push
// channel for events. Calls are answered only for our own window's top frame
// showing our own page; arguments are validated by the ApiService like any
// other transport. dialog.pickPath is the one call answered here, because
// only Electron has native pickers.
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type OpenDialogOptions } from 'electron';
import { calls, type CallName, type CallOutcome, type EventName } from '../../src-shared/contract';
import type { ApiService } from '../app/api-service';
import { toErrorJSON } from '../app/api-service';

// Shared by name with src-preload/index.ts.
export const CALL_CHANNEL = 'weightline:call';
export const EVENT_CHANNEL = 'weightline:event';

/** isOurPage: whether a URL is the renderer page this app loaded. */
export function registerIpc(service: ApiService, isOurPage: (url: string) => boolean): () => void {
  const trusted = (e: IpcMainInvokeEvent): boolean => {
    const frame = e.senderFrame;
    const win = BrowserWindow.fromWebContents(e.sender);
    // Our window, its top frame (no iframe can be ours: frame-src 'none'), our page.
    return !!win && !!frame && frame.parent === null && isOurPage(frame.url);
  };

  ipcMain.handle(CALL_CHANNEL, async (e, name: unknown, args: unknown): Promise<CallOutcome<CallName>> => {
    if (!trusted(e)) return { ok: false, error: { code: 'BAD_USAGE', message: 'refused: the call did not come from the Weightline window' } };
    if (name === 'dialog.pickPath') return pickPath(e, args);
    return service.call(String(name), args);
  });

  const forward = (event: EventName) => (payload: unknown): void => {
    for (const win of BrowserWindow.getAllWindows()) {
      const wc = win.webContents;
      if (!wc.isDestroyed() && isOurPage(wc.getURL())) wc.send(EVENT_CHANNEL, event, payload);
    }
  };
  const offs = [service.on('job', forward('job')), service.on('storeChanged', forward('storeChanged')), service.on('workingCopy', forward('workingCopy')), service.on('linksChecked', forward('linksChecked'))];
  return () => { ipcMain.removeHandler(CALL_CHANNEL); for (const off of offs) off(); };
}

async function pickPath(e: IpcMainInvokeEvent, rawArgs: unknown): Promise<CallOutcome<'dialog.pickPath'>> {
  try {
    const parsed = calls['dialog.pickPath'].safeParse(rawArgs);
    if (!parsed.success) return { ok: false, error: { code: 'BAD_USAGE', message: `dialog.pickPath: ${parsed.error.issues[0]?.message ?? 'invalid arguments'}` } };
    const { kind, title, defaultPath } = parsed.data;
    const properties: OpenDialogOptions['properties'] = kind === 'folder' ? ['openDirectory', 'createDirectory'] : kind === 'file' ? ['openFile'] : ['openFile', 'openDirectory'];
    const options: OpenDialogOptions = { properties, ...(title ? { title } : {}), ...(defaultPath ? { defaultPath } : {}) };
    const win = BrowserWindow.fromWebContents(e.sender);
    const res = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return { ok: true, value: res.canceled ? null : (res.filePaths[0] ?? null) };
  } catch (err) {
    return { ok: false, error: toErrorJSON(err) };
  }
}

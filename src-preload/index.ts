// Preload script, built to out/preload/index.cjs (CommonJS: the window is
// sandboxed). Exposes exactly one object, `window.weightline`: the typed
// contract (call + on) and the version. No ipcRenderer, no Node object and no
// Electron event object ever reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { CallName, CallOutcome, EventName, Events } from '../src-shared/contract';
import type { WeightlineBridge } from '../src-shared/preload-api';
import { WEIGHTLINE_VERSION } from '../src-shared/version';

// Channel names, shared by contract with src-main/electron/ipc.ts.
const CALL = 'weightline:call';
const EVENT = 'weightline:event';

const bridge: WeightlineBridge = Object.freeze({
  version: WEIGHTLINE_VERSION,
  call: (name: CallName, args: unknown) => ipcRenderer.invoke(CALL, name, args) as Promise<CallOutcome<CallName>>,
  on: <E extends EventName>(event: E, listener: (payload: Events[E]) => void): (() => void) => {
    const handler = (_e: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (name === event) listener(payload as Events[E]);
    };
    ipcRenderer.on(EVENT, handler);
    return () => { ipcRenderer.removeListener(EVENT, handler); };
  },
});

contextBridge.exposeInMainWorld('weightline', bridge);

// The one way the UI reaches the store: `getApi()` returns the same typed
// WeightlineApi (src-shared/contract.ts) whether the page runs in the Electron
// window (preload bridge) or in a browser (HTTP + WebSocket to `weightline serve`).
import type { WeightlineApi } from '../../../src-shared/contract';
import { createBrowserClient } from './browser-client';
import { createElectronClient } from './electron-client';

export type { WeightlineApi } from '../../../src-shared/contract';

let api: WeightlineApi | undefined;

export function getApi(): WeightlineApi {
  api ??= window.weightline ? createElectronClient(window.weightline) : createBrowserClient();
  return api;
}

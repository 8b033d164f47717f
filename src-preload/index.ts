// Preload script, built to out/preload/index.cjs (CommonJS: the window is
// sandboxed). Exposes exactly one object, `window.weightline`; nothing from
// Node or Electron leaks to the page.
import { contextBridge } from 'electron';
import type { WeightlineBridge } from '../src-shared/preload-api';
import { WEIGHTLINE_VERSION } from '../src-shared/version';

const bridge: WeightlineBridge = Object.freeze({ version: WEIGHTLINE_VERSION });

contextBridge.exposeInMainWorld('weightline', bridge);

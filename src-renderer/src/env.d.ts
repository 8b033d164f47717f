import type { WeightlineBridge } from '../../src-shared/preload-api';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    readonly weightline?: WeightlineBridge;
  }
}

export {};

// The shape of `window.weightline`, the only object the preload script exposes
// to the renderer through contextBridge. In browser mode there is no preload,
// so the renderer must treat it as optional.
export interface WeightlineBridge {
  readonly version: string;
}

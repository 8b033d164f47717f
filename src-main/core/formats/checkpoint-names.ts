// Checkpoint writers that number their files: tf.train.CheckpointManager
// saves `ckpt-1.index` + `ckpt-1.data-00000-of-00001`, then `ckpt-2.*`, and
// drops the old ones. The store matches a file to its parent version by path,
// so each save would find no base and be stored whole. `checkpointFamily`
// gives a numbered name the key it shares with its predecessors (the number
// replaced), for a commit to fall back on when no file has the same path.

/** `ckpt-12.index` → `ckpt-*.index`; `model.ckpt-1000.data-00000-of-00002` → `model.ckpt-*.data-00000-of-00002`; null for other names. */
export function checkpointFamily(relPath: string): string | null {
  const m = /^(.*?)(ckpt-)(\d+)(\.index|\.data-\d{5}-of-\d{5})$/.exec(relPath);
  return m ? `${m[1]}${m[2]}*${m[4]}` : null;
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, QuarantinedObject, RebuiltObject } from '../../../src-shared/model';
import { sha256File } from '../base/fsutil';
import type { Manifest, ManifestFile } from '../base/manifest';
import { packTableFull } from '../rebuild/packed';
import { forgetPack, packsDir, PACK_NAME, readPacksOrDamage, recordPack } from '../store/packs';
import { quarantineDir, quarantineFile } from '../store/quarantine';
import type { Store } from '../store/store';
import { packDecodesTo, packFileDecodesTo } from './pack';

// Repair's part for packs. The pack index (packs/) is a folder of
// empty files, which backup and sync tools drop or mangle; but every packed
// object's own table names the full object it packs, so the index is derived
// data: repair rebuilds it from the objects, and a missing, wrong or damaged
// index entry is a repairable state, never a loss.
//
// And objects can be intact under the wrong name (two swapped, one renamed):
// repair hashes what is in quarantine and what no manifest names, and puts
// back under its own name any object a route needs.

type Manifests = ReadonlyMap<string, Manifest | Error>;

export interface PackIndexRepair {
  readonly quarantined: QuarantinedObject[];
  readonly rebuilt: RebuiltObject[];
  /** Packed objects proved here (they hash to their names and decode to their full objects' bytes). */
  readonly proven: Set<string>;
}

/** The first file (and commit) naming each full object. */
function fullFiles(manifests: Manifests): Map<string, { commit: CommitId; file: ManifestFile }> {
  const out = new Map<string, { commit: CommitId; file: ManifestFile }>();
  for (const [id, m] of manifests) {
    if (m instanceof Error) continue;
    for (const f of m.files) if (!out.has(f.sha256)) out.set(f.sha256, { commit: id as CommitId, file: f });
  }
  return out;
}

function namedObjects(manifests: Manifests): Set<string> {
  const out = new Set<string>();
  for (const m of manifests.values()) {
    if (m instanceof Error) continue;
    for (const f of m.files) { out.add(f.sha256); if (f.delta?.object) out.add(f.delta.object); }
  }
  return out;
}

/** A name safe to use inside quarantine/ for a stray index entry. */
function strayName(name: string): string {
  return `pack-index-entry-${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}`;
}

/**
 * Makes packs/ say what the packed objects say: a file where the folder
 * belongs and names Weightline did not write go to quarantine; an entry whose
 * packed object does not decode to its full object is forgotten (the object
 * is kept: it may be another file's pack); every intact packed object that no
 * manifest names and whose table names a committed full object, decoding to
 * exactly its bytes, gets its entry back.
 */
export async function repairPackIndex(store: Store, manifests: Manifests, opts: { dryRun: boolean; stamp: string; signal?: AbortSignal }): Promise<PackIndexRepair> {
  const quarantined: QuarantinedObject[] = [];
  const rebuilt: RebuiltObject[] = [];
  const proven = new Set<string>();
  const dir = packsDir(store);
  const fulls = fullFiles(manifests);
  const cancelled = (): WeightlineError => new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole (index entries are written one at a time)');

  const st = await fs.lstat(dir).catch(() => null);
  let entries: string[] = [];
  if (st && !st.isDirectory()) {
    const dest = opts.dryRun ? path.join(quarantineDir(store), `packs.${opts.stamp}`) : await quarantineFile(store, dir, 'packs', opts.stamp);
    quarantined.push({ object: 'packs', path: dest, reason: 'the pack index is a file, expected a folder; the index is rebuilt from the packed objects\' tables' });
  } else if (st) {
    entries = await fs.readdir(dir);
  }

  // Entries as they will stand: full → packed objects.
  const recorded = new Map<string, Set<string>>();
  for (const name of entries) {
    if (name.startsWith('.tmp-')) continue;
    const m = PACK_NAME.exec(name);
    if (!m) {
      const from = path.join(dir, name);
      const dest = opts.dryRun ? path.join(quarantineDir(store), `${strayName(name)}.${opts.stamp}`) : await quarantineFile(store, from, strayName(name), opts.stamp);
      quarantined.push({ object: 'packs', path: dest, reason: `the pack index held "${name}", not a name Weightline writes` });
      continue;
    }
    const [, full, packed] = m as unknown as [string, string, string];
    const owner = fulls.get(full);
    const objectFile = store.objectPath(packed);
    if (owner && (await fs.lstat(objectFile).catch(() => null))) {
      if (opts.signal?.aborted) throw cancelled();
      // Every recorded packed object is proved, not only the one a route would pick:
      // bytes that are not their name's go to quarantine (they may be another object's, see readoptMisnamed).
      const isFile = (await fs.lstat(objectFile))?.isFile();
      const actual = isFile ? await sha256File(objectFile).catch(() => null) : null;
      if (actual !== packed) {
        const dest = opts.dryRun ? path.join(quarantineDir(store), `${packed}.${opts.stamp}`) : await quarantineFile(store, objectFile, packed, opts.stamp);
        if (!opts.dryRun) await forgetPack(store, full, packed);
        quarantined.push({ object: packed, path: dest, reason: isFile ? `damaged: hashes to ${actual?.slice(0, 12) ?? '(unreadable)'}` : 'damaged: a folder or another kind of file, expected a file' });
        continue;
      }
      // The object's own table says whose pack it is; an entry naming another full object is a wrong mapping.
      const says = await packTableFull(objectFile);
      if (says !== full) {
        if (!opts.dryRun) await forgetPack(store, full, packed);
        rebuilt.push({ object: packed, commit: owner.commit, path: owner.file.path, route: says === null
          ? `(pack index: removed the entry naming object ${packed.slice(0, 12)}, which is not a packed object)`
          : `(pack index: removed the entry naming object ${packed.slice(0, 12)}, whose own table says it packs object ${says.slice(0, 12)})` });
        continue;
      }
      if (!(await packDecodesTo(store, packed, owner.file, opts.signal))) {
        const dest = opts.dryRun ? path.join(quarantineDir(store), `${packed}.${opts.stamp}`) : await quarantineFile(store, objectFile, packed, opts.stamp);
        if (!opts.dryRun) await forgetPack(store, full, packed);
        quarantined.push({ object: packed, path: dest, reason: `damaged: does not decode to the bytes of object ${full.slice(0, 12)}` });
        continue;
      }
      proven.add(packed);
    }
    if (!recorded.has(full)) recorded.set(full, new Set());
    recorded.get(full)!.add(packed);
  }

  // Packed objects no entry names: their tables say whose they are.
  const named = namedObjects(manifests);
  for (const sha of await store.listObjects()) {
    if (named.has(sha)) continue;
    if (opts.signal?.aborted) throw cancelled();
    const full = await packTableFull(store.objectPath(sha));
    if (full === null || recorded.get(full)?.has(sha)) continue;
    const owner = fulls.get(full);
    if (!owner) continue; // the pack of a full object no commit names (its commit was quarantined): nothing needs it
    if ((await sha256File(store.objectPath(sha)).catch(() => null)) !== sha) continue; // damaged: not ours to vouch for
    if (!(await packDecodesTo(store, sha, owner.file, opts.signal))) continue;
    if (!opts.dryRun) await recordPack(store, full, sha);
    proven.add(sha);
    if (!recorded.has(full)) recorded.set(full, new Set());
    recorded.get(full)!.add(sha);
    rebuilt.push({ object: sha, commit: owner.commit, path: owner.file.path, route: `(pack index: object ${sha.slice(0, 12)} recorded as its packed full parameters, by its own table, decoded and hashed)` });
  }
  return { quarantined, rebuilt, proven };
}

/**
 * Objects a route needs that are not on disk, found intact under another
 * name: in quarantine (a swap quarantines both halves) or in objects/ under a
 * name no manifest gives. Candidates are hashed only when their size is one a
 * missing object should have. A quarantined file is copied back (quarantine
 * keeps everything); a stray object is moved. Returns what was put back.
 */
export async function readoptMisnamed(
  store: Store, manifests: Manifests,
  opts: { dryRun: boolean; signal?: AbortSignal; extraNeeded?: ReadonlyMap<string, number | null> },
): Promise<RebuiltObject[]> {
  // Every name a manifest gives, with the size it must have, and whose it is.
  const needed = new Map<string, { size: number | null; commit: CommitId; path: string }>();
  for (const [id, m] of manifests) {
    if (m instanceof Error) continue;
    for (const f of m.files) {
      if (!needed.has(f.sha256)) needed.set(f.sha256, { size: f.bytes, commit: id as CommitId, path: f.path });
      if (f.delta?.object && !needed.has(f.delta.object)) needed.set(f.delta.object, { size: f.delta.bytes, commit: id as CommitId, path: f.path });
    }
  }
  const missing = new Map<string, { size: number | null; commit: CommitId; path: string }>();
  for (const [sha, n] of needed) if ((await fs.lstat(store.objectPath(sha)).catch(() => null)) === null) missing.set(sha, n);
  const sizes = new Set([...missing.values()].map((n) => n.size));
  const fulls = fullFiles(manifests);

  const candidates: Array<{ file: string; move: boolean; where: string }> = [];
  const qdir = quarantineDir(store);
  for (const name of await fs.readdir(qdir).catch(() => [] as string[])) candidates.push({ file: path.join(qdir, name), move: false, where: `quarantine/${name}` });
  // Recorded packs are hashed by repair itself (and a pack at its own name is recorded by the index rebuild).
  const recordedPacks = new Set([...(await readPacksOrDamage(store)).packs.values()].flat());
  for (const sha of await store.listObjects()) if (!needed.has(sha) && !recordedPacks.has(sha)) candidates.push({ file: store.objectPath(sha), move: true, where: `object ${sha.slice(0, 12)}` });

  const out: RebuiltObject[] = [];
  for (const c of candidates) {
    if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole');
    const st = await fs.lstat(c.file).catch(() => null);
    if (!st?.isFile()) continue;
    // A packed object (its trailer says so) of a committed full object, under a name that is not its own:
    // put back under its own name if it decodes right; the index rebuild then records it.
    const packOf = await packTableFull(c.file);
    const packOwner = packOf !== null ? fulls.get(packOf) : undefined;
    if (!packOwner && !sizes.has(st.size)) continue;
    const actual = await sha256File(c.file).catch(() => null);
    if (!actual) continue;
    let want = missing.get(actual);
    if (!want && packOwner && c.file !== store.objectPath(actual) && (await fs.lstat(store.objectPath(actual)).catch(() => null)) === null
      && (await packFileDecodesTo(c.file, actual, packOwner.file, opts.signal))) {
      want = { size: null, commit: packOwner.commit, path: packOwner.file.path };
    }
    if (!want) continue;
    if (!opts.dryRun) {
      const temp = store.tempPath('readopt');
      if (c.move) await fs.rename(c.file, temp);
      else await fs.copyFile(c.file, temp);
      // Hash what will be adopted (the candidate might change between the two reads).
      if ((await sha256File(temp)) !== actual) { await fs.rm(temp, { force: true }); continue; }
      await store.adoptObject(temp, actual);
    }
    missing.delete(actual);
    out.push({ object: actual, commit: want.commit, path: want.path, route: `(object ${actual.slice(0, 12)} found intact as ${c.where} and put back under its name)` });
  }
  return out;
}

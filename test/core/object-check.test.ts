import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { ObjectChecker } from '../../src-main/core/store/object-check';
import { makeHistory, restorableVersions } from '../helpers/history';
import { nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

// The object-check cache trusts an object the store wrote itself from the
// hash taken as it was written (issue 22: a DELTA commit re-hashed its
// parent's whole full object, 21% of its time); any later change of its stat
// is still caught, and so is damage to a parent the next commit diffs against.

const scratch = useScratch();

async function flipByte(file: string, at = 4096): Promise<void> {
  await fs.chmod(file, 0o644);
  const h = await fs.open(file, 'r+');
  const b = Buffer.alloc(1);
  await h.read(b, 0, 1, at);
  b[0] = b[0]! ^ 0x40;
  await h.write(b, 0, 1, at);
  await h.close();
}

type Entry = [number, number, number, number, number, 1?];
const readChecked = async (dir: string): Promise<Record<string, Entry>> => JSON.parse(await fs.readFile(path.join(dir, 'checked.json'), 'utf8')) as Record<string, Entry>;

describe('object-check: objects the store wrote itself', () => {
  it('a commit records its own objects as written (trusted at once), with the stat they have in the store', async () => {
    const h = await makeHistory(scratch(), 2, {});
    const checked = await readChecked(h.store.dir);
    const full = (await h.store.readManifest(h.ids[1]!)).files[0]!.sha256;
    const st = await fs.stat(h.store.objectPath(full));
    expect(checked[full]).toEqual([st.ino, st.size, st.mtimeMs, st.ctimeMs, expect.any(Number), 1]);
  });

  it('a written entry is trusted inside the racy window; a plain check stamped as early is not, and neither is one whose stat changed', async () => {
    const h = await makeHistory(scratch(), 1, {});
    const sha = (await h.store.readManifest(h.ids[0]!)).files[0]!.sha256;
    const file = h.store.objectPath(sha);
    // Damaged behind the cache's back: the entries below claim the damaged file's stat.
    await flipByte(file);
    await fs.chmod(file, 0o444);
    const st = await fs.stat(file);
    const stamp = Math.max(st.mtimeMs, st.ctimeMs);
    const stateWith = async (entry: Entry): Promise<string> => {
      await fs.writeFile(path.join(h.store.dir, 'checked.json'), JSON.stringify({ [sha]: entry }));
      return (await ObjectChecker.load(h.store)).state(sha);
    };
    // Only the WROTE mark makes an entry inside the 2 s window count: the cache is what says intact here.
    expect(await stateWith([st.ino, st.size, st.mtimeMs, st.ctimeMs, stamp, 1])).toBe('intact');
    expect(await stateWith([st.ino, st.size, st.mtimeMs, st.ctimeMs, stamp])).toBe('damaged');
    // Any change since the stat was recorded (here ctime) sends it to be hashed.
    expect(await stateWith([st.ino, st.size, st.mtimeMs, st.ctimeMs - 1, stamp, 1])).toBe('damaged');
  });

  it('a byte flipped in the parent\'s full object right after its commit is caught: the next commit still restores every version bit-exact', async () => {
    const h = await makeHistory(scratch(), 2, {});
    const parentFull = (await h.store.readManifest(h.ids[1]!)).files[0]!.sha256;
    await flipByte(h.store.objectPath(parentFull), 9000);
    h.model = h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(3)) }));
    await writeSafetensors(h.file, h.model);
    const c = await commit(h.store, h.file, { message: 'next' });
    h.ids.push(c.id);
    h.shas.push(await sha256Of(h.file));
    // The damaged commit restores through its delta chain; the new commit took its delta against intact bytes.
    expect(await restorableVersions(h)).toEqual(h.ids.map(() => true));
  });
});

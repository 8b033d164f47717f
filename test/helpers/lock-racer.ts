// A writer for the lock race tests (test/core/lock.test.ts), run as its own
// process: takes the store's write lock again and again and, inside, does a
// deliberately non-atomic read-increment-write of a counter, so any overlap of
// two holders shows as a lost increment. It also claims an `inside` file with
// O_EXCL, so an overlap is seen directly. With `plant`, some holders leave a
// stale lock of another kind in place of their own before releasing it
// (release keeps a lock whose token is not ours), so the next writers race to
// take it over.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { withWriteLock } from '../../src-main/core/store/lock';
import { Store } from '../../src-main/core/store/store';

interface Args { root: string; iterations: number; plant: boolean; id: number }
const args = JSON.parse(process.argv[2]!) as Args;
const store = await Store.open(args.root);
const counter = path.join(args.root, 'counter');
const inside = path.join(args.root, 'inside');
const lockFile = path.join(store.dir, 'lock');
// A pid that ran and ended: a crashed writer's.
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
let violations = 0;
let planted = 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const old = new Date(Date.now() - 10 * 60_000);

async function plant(kind: number): Promise<void> {
  const since = new Date().toISOString();
  const tmp = path.join(args.root, `plant-${process.pid}`);
  await fs.rm(tmp, { force: true });
  let aged = true;
  switch (kind) {
    case 0: await fs.writeFile(tmp, JSON.stringify({ host: (await import('node:os')).hostname(), pid: deadPid, token: 'dead', command: 'commit', since })); aged = false; break;
    case 1: await fs.writeFile(tmp, JSON.stringify({ host: 'another-host', pid: 1, token: 'far', command: 'commit', since })); break;
    case 2: await fs.writeFile(tmp, 'garbage{'); break;
    case 3: await fs.writeFile(tmp, JSON.stringify({ pid: deadPid, command: 'commit', since })); aged = false; break;
    case 4: await fs.writeFile(tmp, ''); break;
    default: await fs.symlink(JSON.stringify({ h: 'another-host', p: 1, t: 'sym', c: 'cleanup', s: since }), tmp); break;
  }
  // Judged by mtime: make it old. (Dead-pid ones are stale at any age.)
  if (aged) await fs.lutimes(tmp, old, old);
  await fs.rename(tmp, lockFile);
  planted++;
}

for (let i = 0; i < args.iterations; i++) {
  await withWriteLock(store, 'race', async () => {
    try {
      await (await fs.open(inside, 'wx')).close();
    } catch {
      violations++;
    }
    const n = Number(await fs.readFile(counter, 'utf8'));
    await sleep(Math.random() * 2);
    await fs.writeFile(counter, String(n + 1));
    await fs.rm(inside, { force: true });
    if (args.plant && (i + args.id) % 3 === 0) await plant((i + args.id) % 6);
  }, 120_000);
}
process.stdout.write(JSON.stringify({ violations, planted }) + '\n');

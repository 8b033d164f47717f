// Holds a store's write lock until its stdin closes (test/core/lock.test.ts):
// a live writer another process must not take over.
import { withWriteLock } from '../../src-main/core/store/lock';
import { Store } from '../../src-main/core/store/store';

const store = await Store.open(process.argv[2]!);
await withWriteLock(store, 'hold', async () => {
  process.stdout.write('held\n');
  await new Promise<void>((resolve) => { process.stdin.on('end', resolve).on('close', resolve).resume(); });
});

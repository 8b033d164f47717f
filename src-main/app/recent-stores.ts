// The stores a person opened lately, newest first, in <config dir>/recent-stores.json.
// The file is ours but lives outside the store: a damaged one is treated as
// empty rather than stopping the app.
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const MAX_RECENT = 12;
const fileSchema = z.object({ stores: z.array(z.string().min(1)) });

export class RecentStores {
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'recent-stores.json');
  }

  async list(): Promise<string[]> {
    let raw: unknown;
    try { raw = JSON.parse(await fs.readFile(this.file, 'utf8')); } catch { return []; }
    const parsed = fileSchema.safeParse(raw);
    return parsed.success ? parsed.data.stores.slice(0, MAX_RECENT) : [];
  }

  /** Moves root to the front. Failing to remember is not worth failing the open for. */
  async add(root: string): Promise<void> {
    try {
      const stores = [root, ...(await this.list()).filter((s) => s !== root)].slice(0, MAX_RECENT);
      await fs.mkdir(this.dir, { recursive: true });
      const tmp = `${this.file}.tmp-${process.pid}`;
      await fs.writeFile(tmp, JSON.stringify({ stores }, null, 2) + '\n');
      await fs.rename(tmp, this.file);
    } catch { /* read-only home, full disk: the list is a convenience */ }
  }
}

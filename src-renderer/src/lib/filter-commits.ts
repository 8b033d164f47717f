// Searching commit messages hides rows; the graph must still connect what is
// left, so each visible commit's parent becomes its nearest visible ancestor.
import type { GraphNode } from '../../../src-shared/graph-lanes';

export interface HasParent {
  readonly id: string;
  readonly parent: string | null;
  readonly message: string;
}

export function matchesQuery(message: string, id: string, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  return message.toLowerCase().includes(q) || id.startsWith(q);
}

export function filterCommits<T extends HasParent>(commits: readonly T[], query: string): { entries: T[]; nodes: GraphNode[] } {
  if (query.trim() === '') return { entries: [...commits], nodes: commits.map((c) => ({ id: c.id, parent: c.parent })) };
  const byId = new Map<string, T>();
  for (const c of commits) byId.set(c.id, c);
  const entries = commits.filter((c) => matchesQuery(c.message, c.id, query));
  const visible = new Set(entries.map((c) => c.id));
  const memo = new Map<string, string | null>();
  // Iterative walk with memo: a 10,000-commit linear history must not recurse.
  const nearestVisible = (start: string | null): string | null => {
    const path: string[] = [];
    let cur = start;
    let found: string | null = null;
    while (cur !== null) {
      const known = memo.get(cur);
      if (known !== undefined) { found = known; break; }
      if (visible.has(cur)) { found = cur; break; }
      path.push(cur);
      cur = byId.get(cur)?.parent ?? null;
    }
    for (const p of path) memo.set(p, found);
    return found;
  };
  const nodes = entries.map((c) => ({ id: c.id, parent: nearestVisible(c.parent) }));
  return { entries, nodes };
}

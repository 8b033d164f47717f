// Path-field completion: the longest prefix every candidate shares, so Tab
// completes as far as it is unambiguous, like a shell.
export function commonPrefix(values: readonly string[]): string {
  if (values.length === 0) return '';
  let p = values[0]!;
  for (const v of values) {
    let i = 0;
    while (i < p.length && i < v.length && p[i] === v[i]) i++;
    p = p.slice(0, i);
    if (p === '') break;
  }
  return p;
}

export function joinPath(root: string, rel: string): string {
  if (rel === '' || rel === '.') return root;
  if (rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel)) return rel;
  const sep = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  return root.endsWith(sep) ? `${root}${rel}` : `${root}${sep}${rel}`;
}

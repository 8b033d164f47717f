// Per-plane cost of the block codec's plane rules, delta encoding 1 against 2:
// every changed 4 MiB tensor block of a safetensors pair is XORed and split
// into byte planes (the codec's own splitPlanes), then each plane is stored
// (storePlane) and decoded back (checked bit-exact on the first pass). CPU
// time (process.cpuUsage), best of REPS passes (default 5), so a loaded
// machine skews it less than wall time.
//   node --import tsx scripts/plane-bench.ts OLD.safetensors NEW.safetensors
import * as fs from 'node:fs';
import { storePlane, decodeStoredPlane, PLANE_RAW } from '../src-main/core/codec/block-codec';
import { splitPlanes } from '../src-main/core/codec/planes';
const A = fs.readFileSync(process.argv[2]!), B = fs.readFileSync(process.argv[3]!);
const n = Number(B.readBigUInt64LE(0)); const h = JSON.parse(B.subarray(8, 8 + n).toString());
const W: Record<string, number> = { F32: 4, BF16: 2, F16: 2, I64: 8 };
const blocks: Buffer[][] = [];
for (const [name, v] of Object.entries<{ dtype: string; data_offsets: [number, number] }>(h)) {
  if (name === '__metadata__') continue;
  const w = W[v.dtype]!;
  const s0 = 8 + n + v.data_offsets[0], e0 = 8 + n + v.data_offsets[1];
  for (let s = s0; s < e0; s += 4 << 20) {
    const e = Math.min(e0, s + (4 << 20));
    if (B.subarray(s, e).equals(A.subarray(s, e))) continue;
    const pl = splitPlanes(B.subarray(s, e), w, A.subarray(s, e)); const q = Math.floor(pl.length / w);
    const planes: Buffer[] = [];
    for (let p = 0; p < w; p++) planes.push(Buffer.from(pl.subarray(p * q, p === w - 1 ? pl.length : (p + 1) * q)));
    blocks.push(planes);
  }
}
const total = blocks.reduce((x, b) => x + b.reduce((y, p) => y + p.length, 0), 0);
console.log('blocks', blocks.length, 'bytes', total);
const best: Record<string, { ns: number; dns: number; ratio: number }> = {};
const REPS = Number(process.env.REPS ?? 5);
for (let rep = 0; rep < REPS; rep++) {
  for (const enc of [1, 2]) {
    const per: Record<string, { ns: number; dns: number; bytes: number; in: number; kinds: Set<number> }> = {};
    let all = 0, allBytes = 0, allDec = 0;
    for (const planes of blocks) planes.forEach((plane, p) => {
      const key = `w${planes.length}p${p}`;
      const c0 = process.cpuUsage();
      const { kind, stored } = storePlane(plane, p, planes.length, enc);
      const c1 = process.cpuUsage();
      const back = kind === PLANE_RAW ? stored : decodeStoredPlane(kind, stored, p, 'x');
      const c2 = process.cpuUsage();
      if (rep === 0 && !back.equals(plane)) throw new Error('mismatch');
      const r = (per[key] ??= { ns: 0, dns: 0, bytes: 0, in: 0, kinds: new Set() });
      const e1 = (c1.user + c1.system - c0.user - c0.system) * 1000, e2 = (c2.user + c2.system - c1.user - c1.system) * 1000; r.ns += e1; r.dns += e2; r.bytes += stored.length + 5; r.in += plane.length; r.kinds.add(kind);
      all += e1; allBytes += stored.length + 5; allDec += e2;
    });
    const upd = (k: string, ns: number, dns: number, ratio: number) => { const b = best[k]; best[k] = b ? { ns: Math.min(b.ns, ns), dns: Math.min(b.dns, dns), ratio } : { ns, dns, ratio }; };
    upd(`enc${enc} total`, all / total, allDec / total, allBytes / total);
    for (const [k, r] of Object.entries(per)) if (r.in > 1e6) upd(`enc${enc} ${k}`, r.ns / r.in, r.dns / r.in, r.bytes / r.in);
    if (process.env.ALL) {
      console.log(`encoding ${enc}: store ${(all / 1e6).toFixed(0)} ms (${(all / total).toFixed(3)} ns/B), decode ${(allDec / 1e6).toFixed(0)} ms, stored ${allBytes}`);
      for (const [k, r] of Object.entries(per)) if (r.in > 1e6) console.log(`  ${k} store ${(r.ns / r.in).toFixed(3)} ns/B decode ${(r.dns / r.in).toFixed(3)} ns/B ratio ${(r.bytes / r.in).toFixed(4)} kinds ${[...r.kinds]}`);
    }
  }
}
for (const [k, b] of Object.entries(best)) console.log(k.padEnd(16), `store ${b.ns.toFixed(3)} ns/B  decode ${b.dns.toFixed(3)} ns/B  ratio ${b.ratio.toFixed(4)}`);

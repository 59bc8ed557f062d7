/**
 * Sums a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof DIR`) by function, so the hot spots of
 * a service can be read without a browser:
 *
 *   node --import tsx tools/bench/src/profile-summary.ts DIR/CPU.*.cpuprofile [--top 40] [--inclusive]
 *
 * By default each function's self time; with `--inclusive`, the time spent in it and everything it
 * called (a recursive function counted once per sample), which shows what a whole step costs.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, inclusive: { type: 'boolean', default: false } },
});

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(services|packages)\//, '$1/')}:${lineNumber + 1}`
    : '';
  return `${functionName || '(anonymous)'} ${where}`;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const time = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    total += us;
    const names = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = values.inclusive ? parent.get(at) : undefined) {
      names.add(frameName(byId.get(at)!));
    }
    for (const name of names) time.set(name, (time.get(name) ?? 0) + us);
  });
  console.log(`${file}: busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`);
  const rows = [...time.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [key, us] of rows) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function stat(pid: number, file = `/proc/${pid}/stat`): { self: number; children: number } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    // Fields after the command name (which may contain spaces) start at the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 (1-based), i.e. 11-14 here.
    const [utime, stime, cutime, cstime] = [fields[11], fields[12], fields[13], fields[14]].map(Number) as [number, number, number, number];
    return { self: utime + stime, children: cutime + cstime };
  } catch {
    return undefined;
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds a component has used so far. For a process tree (PostgreSQL: a backend per
 * connection) it is the root's own time, its reaped children's time, and every live child's time,
 * so each child is counted exactly once whether it is still running or has exited.
 */
export function cpuSeconds(pid: number, tree: boolean): number {
  const root = stat(pid);
  if (!root) return 0;
  let ticks = root.self;
  if (tree) {
    ticks += root.children;
    for (const child of childPids(pid)) ticks += stat(child)?.self ?? 0;
  }
  return ticks / ticksPerSecond;
}

/**
 * CPU seconds of a process's main thread alone. For a Node service that is the event loop, which
 * runs all of its JavaScript: it caps what one process can serve, whatever the other threads do.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return (stat(pid, `/proc/${pid}/task/${pid}/stat`)?.self ?? 0) / ticksPerSecond;
}

export interface Component {
  name: string;
  pid: number;
  tree: boolean;
}

export function snapshot(components: Component[]): Map<string, number> {
  return new Map(components.map((c) => [c.name, cpuSeconds(c.pid, c.tree)]));
}

/**
 * CPU seconds of a PostgreSQL server's processes so far, by what they work for: a backend by its
 * role (`onevote_votes`, `onevote_audit`, ...; from the process title PostgreSQL sets), a walsender
 * as `walsender <role>`, the server's own processes together as `server`, and children that have
 * exited as `exited`. The difference of two of these says which service's queries cost what.
 */
export function postgresCpuByRole(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, ticks: number) => out.set(key, (out.get(key) ?? 0) + ticks / ticksPerSecond);
  const root = stat(pid);
  if (!root) return out;
  add('server', root.self);
  add('exited', root.children);
  for (const child of childPids(pid)) {
    const ticks = stat(child)?.self ?? 0;
    let title = '';
    try {
      title = readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    // "postgres: onevote_votes onevote 127.0.0.1(5432) idle", "postgres: walsender onevote_relay ...",
    // "postgres: checkpointer", "postgres: autovacuum worker onevote", ...
    const words = title.replace(/^postgres:\s*/, '').split(/\s+/);
    if (words[0] === 'walsender') add(`walsender ${words[1]}`, ticks);
    else if (words[0]?.startsWith('onevote_') || words[0] === 'postgres') add(words[0]!, ticks);
    else add('server', ticks);
  }
  return out;
}

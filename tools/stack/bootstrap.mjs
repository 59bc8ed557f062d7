#!/usr/bin/env node
// Behind `npm start`, `npm test` and `npm run bench`. Plain JavaScript with no dependencies, because
// it runs before they are installed: installs what is missing, builds the web UI if needed, then
// hands over to the TypeScript supervisor (tools/stack/src/cli.ts) or the load benchmark.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

// node_modules/.package-lock.json is npm's record of what is installed; older than the lockfile
// (or absent) means dependencies changed since the last install.
const installed = join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(join(root, 'package-lock.json')) || !existsSync(installed)) {
  console.log('[bootstrap] installing dependencies (npm ci)');
  run(npm, ['ci', '--no-audit', '--no-fund']);
}

const web = join(root, 'web');
if (existsSync(join(web, 'package.json')) && !existsSync(join(web, 'dist', 'index.html'))) {
  console.log('[bootstrap] building the web UI');
  run(npm, ['run', 'build', '--workspace', 'web']);
}

const [command = 'start', ...rest] = process.argv.slice(2);
const entry =
  command === 'bench'
    ? [join(root, 'tools/bench/src/main.ts'), ...rest]
    : [join(root, 'tools/stack/src/cli.ts'), command, ...rest];
const child = spawn(process.execPath, ['--import', 'tsx', ...entry], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the whole foreground process group; the supervisor decides the order of stopping.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

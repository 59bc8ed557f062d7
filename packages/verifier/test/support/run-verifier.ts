// Runs the CLI as users do: a child process (`node --import tsx src/cli.ts`, or a built bin).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(packageDir, 'src', 'cli.ts');

export interface VerifierRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Exits the child if it has not finished by then: a hung verifier fails the test, it does not hang it. */
const deadlineMs = 120_000;

export function runCommand(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<VerifierRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? packageDir, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function runVerifier(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<VerifierRun> {
  return runCommand(process.execPath, ['--import', 'tsx', cli, ...args], options);
}

/** A temporary directory for state files, removed by the returned function. */
export function temporaryDirectory(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'onevote-verify-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// The published form: `npm pack` (which builds dist/ with tsc), installed into an empty project
// outside the repository, run through the `onevote-verify` bin npm links.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anElectionLog, receiptOf } from './support/elections.ts';
import { anEd25519Signer, type LogServer, startLogServer } from './support/log-server.ts';
import { runCommand, temporaryDirectory } from './support/run-verifier.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const election = anElectionLog({ ballots: 1200, voided: [4] });

describe('the packed onevote-verify bin', () => {
  let server: LogServer;
  const temp = temporaryDirectory();
  let bin: string;

  before(async () => {
    const pack = await runCommand(npm, ['pack', '--pack-destination', temp.dir]);
    assert.equal(pack.code, 0, pack.stdout + pack.stderr);
    const tarball = readdirSync(temp.dir).find((file) => file.endsWith('.tgz'));
    assert.ok(tarball, `no tarball in ${readdirSync(temp.dir).join(', ')}`);
    // An empty project of its own: nothing of the repository (its node_modules, tsx) is in reach.
    const project = join(temp.dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "verifier-user", "private": true }');
    const install = await runCommand(npm, ['install', '--offline', '--no-audit', '--no-fund', join(temp.dir, tarball)], { cwd: project });
    assert.equal(install.code, 0, install.stdout + install.stderr);
    bin = join(project, 'node_modules', '.bin', 'onevote-verify');
    server = await startLogServer({ ...election, signer: anEd25519Signer('k1'), final: true });
  });
  after(async () => {
    await server?.close();
    temp.remove();
  });

  it('verifies an honest log with a receipt (exit 0)', async () => {
    const run = await runCommand(bin, ['--url', server.url, '--election', election.electionId, '--receipt', receiptOf(4), '--state', join(temp.dir, 'state.json')], {
      cwd: temp.dir,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS entries: 1203 entries in 2 pages/);
    assert.match(run.stdout, /PASS receipt: ballot .* is entry 6; its inclusion proof leads to the signed root/);
    assert.match(run.stdout, /INFO receipt: the ballot was voided by entry 1202/);
    assert.match(run.stdout, /^OK: every check holds/m);
  });

  it('names an altered entry (exit 1)', async () => {
    const servedEntries = election.leaves.map((leaf, leafIndex) => ({ leafIndex, leaf: leafIndex === 1100 ? leaf.replace('"q1"', '"q2"') : leaf }));
    server.setLog({ ...election, signer: anEd25519Signer('k1'), final: true, servedEntries });
    const run = await runCommand(bin, ['--url', server.url, '--election', election.electionId, '--state', join(temp.dir, 'state-2.json')], {
      cwd: temp.dir,
    });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr.trim(), 'onevote-verify: FAILED: entry 1100 does not match the signed root');
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@onevote/stack';
import { dashboardFiles } from '../src/dashboards.ts';

test('the committed dashboard JSON is what the TypeScript generates (npm run dashboards)', () => {
  for (const [file, json] of dashboardFiles()) {
    const committed = readFileSync(file, 'utf8');
    assert.equal(committed, json, `${relative(repoRoot, file)} differs from its source: run npm run dashboards`);
  }
});

test('the live-event board has the panels an operator needs, each with a query and a unit', () => {
  const [, json] = dashboardFiles()[0]!;
  const board = JSON.parse(json) as {
    uid: string;
    panels: { type: string; title: string; fieldConfig?: { defaults?: { unit?: string } }; targets?: { expr: string }[] }[];
  };
  assert.equal(board.uid, 'onevote-live-event');
  const panels = board.panels.filter((p) => p.type !== 'row');
  for (const p of panels) {
    assert.ok(p.targets && p.targets.length > 0 && p.targets.every((t) => t.expr), `${p.title}: no query`);
    assert.ok(p.fieldConfig?.defaults?.unit, `${p.title}: no unit`);
  }
  const exprs = panels.flatMap((p) => p.targets!.map((t) => t.expr)).join('\n');
  // The list: ballots/s by outcome, p50/p99, queue depth, batch size, SSE connections and
  // lag, risk outcomes by reason, per-service CPU.
  for (const needed of [
    'onevote:vote_ballots:rate1m',
    'onevote:vote_latency_seconds:p50_1m',
    'onevote:vote_latency_seconds:p99_1m',
    'vote_commit_queue_depth',
    'vote_commit_batch_size',
    'onevote:results_connections:sum',
    'onevote:results_commit_to_frame_seconds:p99_1m',
    'onevote:vote_risk_decisions:rate5m',
    'onevote:process_cpu:rate1m',
  ]) {
    assert.ok(exprs.includes(needed), `no panel reads ${needed}`);
  }
});

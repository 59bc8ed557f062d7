/**
 * The rules under deploy/prometheus/rules: valid (promtool check rules), behaving as their promtool
 * cases say (promtool test rules), every alert with a case where it fires and one where it stays
 * quiet, and every alert with a runbook.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { binaries, repoRoot } from '@onevote/stack';
import { loadAlertCases, loadRules, metricNames, ruleFilePaths, testFilePaths, testsDir } from '../src/rules.ts';

const promtool = (args: string[], cwd = repoRoot) => {
  const run = spawnSync(binaries.promtool(), args, { cwd, encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
};

test('promtool check rules: every rule file is valid', () => {
  const { code, output } = promtool(['check', 'rules', ...ruleFilePaths()]);
  assert.equal(code, 0, output);
  assert.match(output, /SUCCESS/);
});

test('promtool test rules: every case passes', () => {
  const { code, output } = promtool(['test', 'rules', ...testFilePaths().map((f) => relative(testsDir, f))], testsDir);
  assert.equal(code, 0, output);
  assert.doesNotMatch(output, /FAILED/);
});

test('every alert has a promtool case where it fires and one where it stays quiet', () => {
  const alerts = loadRules().flatMap((r) => (r.alert ? [r.alert] : []));
  assert.ok(alerts.length >= 15, `only ${alerts.length} alerts found`);
  const cases = loadAlertCases();
  const missing: string[] = [];
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    if (!mine.some((c) => c.expected > 0)) missing.push(`${alert}: no case in which it fires`);
    if (!mine.some((c) => c.expected === 0)) missing.push(`${alert}: no case in which it stays quiet`);
  }
  // A case for an alert that does not exist tests nothing (promtool passes an empty expectation).
  for (const c of cases) if (!alerts.includes(c.alertname)) missing.push(`${c.alertname}: tested in ${c.file} but not a rule`);
  assert.deepEqual(missing, []);
});

test('every alert has a severity, a summary and a runbook that says what it means, how to confirm it, what to do', () => {
  const runbooks = join(repoRoot, 'docs', 'runbooks');
  const problems: string[] = [];
  const alerts = loadRules().filter((r) => r.alert);
  for (const rule of alerts) {
    const name = rule.alert!;
    if (!['page', 'ticket'].includes(rule.labels?.severity ?? '')) problems.push(`${name}: severity is not page or ticket`);
    if (!rule.annotations?.summary) problems.push(`${name}: no summary`);
    const url = rule.annotations?.runbook_url;
    if (url !== `docs/runbooks/${name}.md`) {
      problems.push(`${name}: runbook_url is ${url}, not docs/runbooks/${name}.md`);
      continue;
    }
    const file = join(repoRoot, url);
    if (!existsSync(file)) {
      problems.push(`${name}: ${url} is missing`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const heading of ['## What it means', '## How to confirm', '## What to do']) {
      if (!text.includes(heading)) problems.push(`${name}: ${url} has no "${heading}"`);
    }
  }
  // And no runbook for an alert that no longer exists.
  for (const f of readdirSync(runbooks).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    if (!alerts.some((r) => `${r.alert}.md` === f)) problems.push(`docs/runbooks/${f}: no alert of that name`);
  }
  assert.deepEqual(problems, []);
});

test('recording rules are named level:metric:operations and read only metrics, never each other in a loop', () => {
  const rules = loadRules();
  const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
  for (const r of rules.filter((r) => r.record)) {
    assert.match(r.record!, /^[a-z_]+:[a-z_]+:[a-z0-9_]+$/, r.record);
    assert.ok(!metricNames(r.expr).includes(r.record!), `${r.record} reads itself`);
  }
  // The alerts read recording rules that exist (a typo would make an alert that never fires).
  for (const r of rules.filter((r) => r.alert)) {
    for (const name of metricNames(r.expr).filter((n) => n.includes(':'))) {
      assert.ok(recorded.has(name), `${r.alert} reads ${name}, which no rule records`);
    }
  }
});

test('the metric-name tokenizer finds names, not functions, labels or keywords', () => {
  assert.deepEqual(
    metricNames(
      'sum by (le) (rate(http_request_duration_seconds_bucket{route="/v1/x:y",le="0.1"}[5m] offset 5m)) > 5 * (slo:a:b or vector(0)) and on() max(up{job="x"}) > 1e3',
    ).sort(),
    ['http_request_duration_seconds_bucket', 'slo:a:b', 'up'],
  );
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const prometheusDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const rulesDir = join(prometheusDir, 'rules');
export const testsDir = join(prometheusDir, 'tests');

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const ruleFilePaths = () =>
  readdirSync(rulesDir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(rulesDir, f));

export const testFilePaths = () =>
  readdirSync(testsDir)
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => join(testsDir, f));

/** Every rule of every file under rules/. */
export function loadRules(): Rule[] {
  return ruleFilePaths().flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] };
    return doc.groups.flatMap((g) => g.rules);
  });
}

export interface AlertCase {
  file: string;
  alertname: string;
  evalTime: string;
  /** How many alerts the case expects: 0 means it must stay quiet. */
  expected: number;
}

/** The alert_rule_test cases of every promtool test file. */
export function loadAlertCases(): AlertCase[] {
  return testFilePaths().flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: unknown[] }[] }[];
    };
    return doc.tests.flatMap((t) =>
      (t.alert_rule_test ?? []).map((c) => ({
        file,
        alertname: c.alertname,
        evalTime: c.eval_time,
        expected: c.exp_alerts?.length ?? 0,
      })),
    );
  });
}

const keywords = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan',
]);

/**
 * The metric (and recording rule) names a PromQL expression reads. A small tokenizer, not a
 * parser: strings, label matchers, grouping lists and ranges are removed, then every identifier not
 * followed by `(` (a function or aggregation) and not a keyword is a name. Prometheus itself checks
 * the syntax (the dashboards test runs every query).
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    if (m[1]) continue;
    const name = m[0];
    if (keywords.has(name.toLowerCase())) continue;
    // A number's exponent (1e3) or a duration's unit never starts a name here: those begin with a digit.
    const before = stripped[m.index! - 1];
    if (before && /[0-9.]/.test(before)) continue;
    names.add(name);
  }
  return [...names];
}

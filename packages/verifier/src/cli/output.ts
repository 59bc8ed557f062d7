import type { Check, ElectionVerification } from '../index.ts';
import type { VerifyArguments } from './args.ts';

const label: Record<Check['status'], string> = { pass: 'PASS', fail: 'FAIL', info: 'INFO' };

/** One line per check: `PASS root: the 52 entries hash to the signed root`. */
export function checkLine(check: Check): string {
  return `${label[check.status]} ${check.name}: ${check.message}`;
}

export const exitCodes = { verified: 0, failed: 1, unavailable: 2 } as const;

export interface StateOutcome {
  file: string;
  /** the head was added to (or already in) the state file */
  remembered: boolean;
  error?: string;
}

/** The `--json` object: everything the lines say, and the data behind them. */
export function jsonReport(args: VerifyArguments, report: ElectionVerification, state: StateOutcome): string {
  return JSON.stringify({
    ok: report.outcome === 'verified',
    exitCode: exitCodes[report.outcome],
    outcome: report.outcome,
    failure: report.failure ?? null,
    url: args.url,
    electionId: args.electionId,
    checks: report.checks,
    head: report.head ?? null,
    tally: report.tally ?? null,
    results: report.results ?? null,
    receipt: report.receipt ?? null,
    state,
  });
}

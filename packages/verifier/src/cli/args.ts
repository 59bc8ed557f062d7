import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const usage = `usage: onevote-verify --url <origin> --election <id> [--receipt <receiptId>] [--state <file>] [--json]

Checks OneVote's public audit log of one election: the signed head, the root over every entry,
consistency with every head seen before (kept in the state file), the tally against the results,
and with --receipt that receipt's inclusion proof.

  --url <origin>        the OneVote API, e.g. https://vote.example.org
  --election <id>       the election id
  --receipt <receiptId> also check that this receipt's ballot is in the log
  --state <file>        heads seen before (default ~/.onevote-verify/state.json)
  --json                print one JSON object instead of one line per check

Exit status: 0 every check holds, 1 a check failed (the first failure is named),
2 usage error or the server could not be reached.`;

export interface VerifyArguments {
  /** the API origin (a path prefix kept), without a trailing slash */
  url: string;
  electionId: string;
  receiptId?: string;
  statePath: string;
  json: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function defaultStatePath(home: string): string {
  return join(home, '.onevote-verify', 'state.json');
}

/** Parses the command line; undefined means --help. Throws UsageError. */
export function parseArguments(argv: readonly string[], environment: { home: string }): VerifyArguments | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        election: { type: 'string' },
        receipt: { type: 'string' },
        state: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (!values.url) throw new UsageError('--url is required');
  if (!values.election) throw new UsageError('--election is required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url ${values.url} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http: or https:');
  if (url.search || url.hash || url.username || url.password) throw new UsageError('--url takes an origin, without query, fragment or credentials');
  if (values.receipt === '') throw new UsageError('--receipt is empty');
  return {
    url: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    electionId: values.election,
    ...(values.receipt === undefined ? {} : { receiptId: values.receipt }),
    statePath: values.state ?? defaultStatePath(environment.home),
    json: values.json,
  };
}

#!/usr/bin/env node
// onevote-verify: checks a OneVote election's public audit log from the command line.
import { homedir } from 'node:os';
import { createAuditClient, type KnownHead, verifyElection } from './index.ts';
import { parseArguments, usage, UsageError, type VerifyArguments } from './cli/args.ts';
import { checkLine, exitCodes, jsonReport, type StateOutcome } from './cli/output.ts';
import { readKnownHeads, rememberHead, StateFileError } from './cli/state-file.ts';

const usageErrorCode = 2;

async function run(args: VerifyArguments): Promise<number> {
  const log = { url: args.url, electionId: args.electionId };
  let knownHeads: KnownHead[];
  try {
    knownHeads = readKnownHeads(args.statePath, log);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    console.error(`onevote-verify: ${error.message}`);
    return usageErrorCode;
  }
  const print = (line: string) => {
    if (!args.json) console.log(line);
  };
  const report = await verifyElection({
    client: createAuditClient({ url: args.url }),
    electionId: args.electionId,
    ...(args.receiptId === undefined ? {} : { receiptId: args.receiptId }),
    knownHeads,
    onCheck: (check) => print(checkLine(check)),
  });

  const state: StateOutcome = { file: args.statePath, remembered: false };
  if (report.verifiedHead) {
    try {
      rememberHead(args.statePath, log, { ...report.verifiedHead, seenAt: new Date().toISOString() });
      state.remembered = true;
      print(`INFO state: head of size ${report.verifiedHead.treeSize} remembered in ${args.statePath}`);
    } catch (error) {
      // The checks themselves held; say that the next run cannot compare with this head.
      state.error = (error as Error).message;
      console.error(`onevote-verify: warning: could not write the state file: ${state.error}`);
    }
  }

  const code = exitCodes[report.outcome];
  if (args.json) console.log(jsonReport(args, report, state));
  else if (report.outcome === 'verified') {
    console.log(`OK: every check holds for election ${args.electionId} at ${args.url} (tree size ${report.head?.treeSize})`);
  } else if (report.outcome === 'failed') console.error(`onevote-verify: FAILED: ${report.failure}`);
  else console.error(`onevote-verify: server unavailable: ${report.failure}`);
  return code;
}

async function main(argv: readonly string[]): Promise<number> {
  let args: VerifyArguments | undefined;
  try {
    args = parseArguments(argv, { home: homedir() });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`onevote-verify: ${error.message}\n\n${usage}`);
    return usageErrorCode;
  }
  if (!args) {
    console.log(usage);
    return 0;
  }
  return run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug in the verifier proves nothing about the log: not exit 1.
    console.error('onevote-verify: internal error:', error);
    process.exitCode = usageErrorCode;
  },
);

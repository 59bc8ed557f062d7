import { type App, createServer, KeyVault, type Logger, type Metrics, type Sql } from '@onevote/platform';
import { HeadKeysRepository } from './adapters/head-keys.repository.ts';
import { HeadsRepository } from './adapters/heads.repository.ts';
import { MerkleRepository } from './adapters/merkle.repository.ts';
import type { Config } from './config.ts';
import { logRoutes } from './http/log.routes.ts';
import { createAuditMetrics } from './metrics.ts';
import { LogReader } from './use-cases/read-log.ts';
import { Recorder } from './use-cases/record.ts';
import { type FinalResults, HeadSigner } from './use-cases/sign-heads.ts';

export interface AuditDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  finalResults: FinalResults;
}

/** The audit service: the log's public reads, and the recorder and head signer behind them. */
export async function buildApp(deps: AuditDeps): Promise<{ app: App; recorder: Recorder; signer: HeadSigner; keys: HeadKeysRepository }> {
  const { config, logger, sql } = deps;
  const metrics = createAuditMetrics(deps.metrics);
  const tree = new MerkleRepository(sql);
  const heads = new HeadsRepository(sql);
  const keys = new HeadKeysRepository(sql, new KeyVault(config.AUDIT_KEY_ENCRYPTION_KEY));
  await keys.current(); // the first start makes the first key
  const signer = new HeadSigner({
    tree,
    heads,
    keys,
    finalResults: deps.finalResults,
    metrics,
    logger,
    intervalMs: config.HEAD_INTERVAL_MS,
    finalCheckMs: config.FINAL_CHECK_MS,
  });
  const recorder = new Recorder({ tree, heads, signer, metrics, logger });
  const app = createServer({
    service: 'audit',
    logger,
    metrics: deps.metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    originSecret: config.ORIGIN_SECRET,
  });
  logRoutes(app, new LogReader({ tree, heads, keys, metrics }));
  return { app, recorder, signer, keys };
}

/**
 * The results service's word on an election: final, and how many ballots it counts. `resultsUrls`
 * is every results replica, comma-separated; they are asked in turn until one answers, so a dead
 * replica only costs its refused connection.
 */
export function resultsFrom(resultsUrls: string): FinalResults {
  const urls = resultsUrls
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  return async (electionId) => {
    let lastError: unknown = new Error('no results URL');
    for (const url of urls) {
      let res: Response;
      try {
        res = await fetch(`${url}/v1/elections/${electionId}/results`, { signal: AbortSignal.timeout(2000) });
      } catch (err) {
        lastError = err; // not reachable: the next replica
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        return undefined;
      }
      const body = (await res.json()) as { final: boolean; totalBallots: number };
      return { final: body.final, totalBallots: body.totalBallots };
    }
    throw lastError;
  };
}

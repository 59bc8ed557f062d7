export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; anything else (or no answer in time) is "not ready". */
  check: () => Promise<unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
  failing: string[];
}

const checkTimeoutMs = 1000;

export async function runChecks(checks: ReadinessCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${checkTimeoutMs} ms`)),
              checkTimeoutMs,
            );
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failing = results.filter(([, status]) => status !== 'ok').map(([name]) => name);
  return { ready: failing.length === 0, checks: Object.fromEntries(results), failing };
}

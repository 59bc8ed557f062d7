export { readTotals, redisFlushAll, scenario, sleep } from './checks.ts';
export { runScenario, type ScenarioContext, type ScenarioOptions, type ScenarioResult } from './scenario.ts';

export { runScenario, type ScenarioContext, type ScenarioOptions, type ScenarioResult } from './scenario.ts';

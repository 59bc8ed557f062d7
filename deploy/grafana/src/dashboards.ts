import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { liveEventDashboard } from './live-event.ts';

export const dashboardsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

/** Each dashboard's file and the JSON it must hold. */
export function dashboardFiles(): [file: string, json: string][] {
  return [[join(dashboardsDir, 'live-event.json'), `${JSON.stringify(liveEventDashboard(), null, 2)}\n`]];
}
export { liveEventDashboard, liveEventQueries, type Query } from './live-event.ts';

/**
 * Writes every dashboard under dashboards/ as Grafana JSON (`npm run dashboards`). The files are
 * committed (provisioned into Grafana as they are); deploy/grafana/test checks they match this code.
 */
import { writeFileSync } from 'node:fs';
import { dashboardFiles } from './dashboards.ts';

for (const [file, json] of dashboardFiles()) {
  writeFileSync(file, json);
  console.log(`wrote ${file}`);
}

// Worker entry in plain JavaScript: on Node 20 a worker does not get the parent's `--import tsx`
// loader, so it registers tsx itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./provision-worker.ts');

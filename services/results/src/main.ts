import { runService } from '@onevote/platform';
import { resultsService } from './service.ts';

await runService(resultsService);

import { runService } from '@onevote/platform';
import { ballotService } from './service.ts';

await runService(ballotService);

import { runService } from '@onevote/platform';
import { voteApiService } from './service.ts';

await runService(voteApiService);

import { runService } from '@onevote/platform';
import { identityService } from './service.ts';

await runService(identityService);

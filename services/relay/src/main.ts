import { runService } from '@onevote/platform';
import { relayService } from './service.ts';

await runService(relayService);

import { runService } from '@onevote/platform';
import { gatewayService } from './service.ts';

await runService(gatewayService);

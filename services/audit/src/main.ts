import { runService } from '@onevote/platform';
import { auditService } from './service.ts';

await runService(auditService);

export type { BallotsCounted, ElectionEvent, TallyChanged } from './events.ts';
export { isValidEmail, normaliseEmail } from './email.ts';
export { rollRedisKey, rollSentinel } from './roll.ts';
export { openApiDocument } from './openapi.ts';
export {
  type ProblemBody,
  type ProblemCode,
  problemCatalogue,
  problemContentType,
  problemType,
} from './problems.ts';
export { type Access, type RouteContract, type RouteName, routes, type Service } from './routes.ts';
export * from './schemas/audit.ts';
export * from './schemas/common.ts';
export * from './schemas/elections.ts';
export * from './schemas/identity.ts';
export * from './schemas/operations.ts';
export * from './schemas/results.ts';
export * from './schemas/review.ts';
export * from './schemas/votes.ts';
export { natsNames } from './subjects.ts';
export { contentSecurityPolicy, securityHeaders } from './security-headers.ts';
export { type NatsNamesInUse, type NatsPermissions, type NatsUser, natsPermissions } from './nats-permissions.ts';

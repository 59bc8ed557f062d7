export type { TallyChanged } from './events.ts';
export { openApiDocument } from './openapi.ts';
export {
  type ProblemBody,
  type ProblemCode,
  problemCatalogue,
  problemContentType,
  problemType,
} from './problems.ts';
export { type Access, type RouteContract, type RouteName, routes, type Service } from './routes.ts';
export * from './schemas/common.ts';
export * from './schemas/elections.ts';
export * from './schemas/identity.ts';
export * from './schemas/results.ts';
export * from './schemas/votes.ts';
export { natsNames } from './subjects.ts';

import type { TSchema } from '@sinclair/typebox';
import { problemCatalogue } from './problems.ts';
import { type RouteContract, routes } from './routes.ts';
import { Problem } from './schemas/common.ts';

type Json = Record<string, unknown>;

// OpenAPI 3.1 uses JSON Schema 2020-12, which TypeBox schemas already are; only `$id` and
// TypeBox's symbol keys need stripping (JSON.stringify drops symbols).
function plain(schema: TSchema): Json {
  const { $id: _id, ...rest } = JSON.parse(JSON.stringify(schema)) as Json;
  return rest;
}

function parameters(contract: RouteContract): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', contract.schema.params],
    ['query', contract.schema.querystring],
  ] as const) {
    const props = (schema as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {};
    const required = new Set((schema as { required?: string[] } | undefined)?.required ?? []);
    for (const [name, s] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: plain(s) });
    }
  }
  return out;
}

function operation(name: string, contract: RouteContract): Json {
  const responses: Json = {};
  for (const [status, schema] of Object.entries(contract.schema.response)) {
    const content: Json = {};
    if (schema) content['application/json'] = { schema: plain(schema) };
    for (const type of contract.produces ?? []) content[type] = {};
    responses[status] = { description: 'Success', ...(Object.keys(content).length ? { content } : {}) };
  }
  for (const code of contract.errors) {
    const { status, title } = problemCatalogue[code];
    const existing = responses[status] as { description: string } | undefined;
    responses[status] = {
      description: existing ? `${existing.description}; ${code}` : `${title} (${code})`,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    operationId: name,
    summary: contract.summary,
    ...(contract.description ? { description: contract.description } : {}),
    tags: [contract.service],
    ...(contract.access !== 'public' ? { security: [{ DPoP: [] }] } : {}),
    parameters: parameters(contract),
    ...(contract.consumes
      ? {
          requestBody: {
            required: true,
            description: contract.consumes.description,
            content: { [contract.consumes.type]: { schema: { type: 'string' } } },
          },
        }
      : contract.schema.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: plain(contract.schema.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** The public API as one OpenAPI 3.1 document, generated from the schemas the services validate with. */
export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const [name, contract] of Object.entries(routes) as [string, RouteContract][]) {
    const path = contract.url.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    (paths[path] as Json)[contract.method.toLowerCase()] = operation(name, contract);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'OneVote public API', version: '1.0.0' },
    paths,
    components: {
      schemas: { Problem: plain(Problem) },
      securitySchemes: {
        DPoP: { type: 'http', scheme: 'DPoP', description: 'Access token + DPoP proof (RFC 9449)' },
      },
    },
  };
}

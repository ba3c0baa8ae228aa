/**
 * Validates real inject requests and responses against the served OpenAPI document, so the document and
 * the code cannot drift: every test that goes through `validated` fails when an answer leaves the schema.
 */
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { openApiDocument } from '../src/http/openapi.js';

type Json = Record<string, unknown>;
interface Operation {
  template: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Json }[];
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

const doc = openApiDocument();
const paths = doc.paths as Record<string, Record<string, Operation>>;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(doc, 'openapi');

const pointer = (parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const compiled = new Map<string, ValidateFunction>();
function validator(parts: string[]): ValidateFunction {
  const key = `openapi#/${pointer(parts)}`;
  let v = compiled.get(key);
  if (!v) {
    v = ajv.getSchema(key);
    assert.ok(v, `no schema at ${key}`);
    compiled.set(key, v);
  }
  return v;
}

/** `/admin/v1/apps/{appId}` → a pattern matching `/admin/v1/apps/x`. */
export function templatePattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
}

export function findOperation(method: string, path: string): Operation | undefined {
  for (const [template, ops] of Object.entries(paths)) {
    if (!templatePattern(template).test(path)) continue;
    const op = ops[method.toLowerCase()];
    if (op) return { ...op, template };
  }
  return undefined;
}

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Fails unless the answer is one the document describes for this method and path, body included. */
export function assertDescribed(method: string, url: string, res: Answer): void {
  const [path = '/', search = ''] = url.split('?');
  const op = findOperation(method, path);
  assert.ok(op, `${method} ${path} is not in the OpenAPI document`);
  const status = String(res.statusCode);
  const response = op.responses[status];
  assert.ok(response, `${method} ${op.template} answered ${status}, which the document does not list: ${res.body}`);
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (!response.content) {
    assert.equal(res.body, '', `${method} ${op.template} ${status} has no body in the document`);
    return;
  }
  assert.ok(response.content[type], `${method} ${op.template} ${status} answered ${type}, not in the document`);
  if (type !== 'application/json') return;
  const v = validator(['paths', op.template, method.toLowerCase(), 'responses', status, 'content', type, 'schema']);
  const body: unknown = JSON.parse(res.body);
  assert.ok(
    v(body),
    `${method} ${op.template} ${status} body does not match the document: ${ajv.errorsText(v.errors)}\n${res.body.slice(0, 500)}`,
  );

  // A request the server accepted must be one the document allows: required query parameters present
  // and every described one valid.
  if (res.statusCode < 300) {
    const query = new URLSearchParams(search);
    op.parameters?.forEach((p, i) => {
      if (p.in !== 'query') return;
      const value = query.get(p.name);
      if (value === null) {
        assert.ok(!p.required || method === 'POST', `${method} ${op.template} accepted without required ${p.name}`);
        return;
      }
      const pv = validator(['paths', op.template, method.toLowerCase(), 'parameters', String(i), 'schema']);
      assert.ok(pv(value), `${method} ${op.template} accepted ${p.name}=${value}, which the document refuses`);
    });
  }
}

/** inject, then assertDescribed on the answer. */
export async function validated(app: FastifyInstance, options: InjectOptions & { url: string }) {
  const res = await app.inject(options);
  assertDescribed(String(options.method ?? 'GET'), options.url, res);
  return res;
}

/**
 * Every method and path of the app's routes (HEAD and OPTIONS left out), paths in `{param}` form. A
 * trailing slash is dropped: a prefixed plugin's '/' route answers both forms, which the document names once.
 */
export function appRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = Math.round(match[1]!.length / 4) - 1;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack
      .join('')
      .replace(/:([A-Za-z0-9_]+)/g, '{$1}')
      .replace(/(.)\/$/, '$1');
    for (const m of match[3]!.split(',').map((s) => s.trim())) {
      if (m !== 'HEAD' && m !== 'OPTIONS') out.push(`${m} ${path}`);
    }
  }
  return [...new Set(out)].sort();
}

/** Every method and path of the document, like appRoutes. */
export function documentRoutes(): string[] {
  return Object.entries(paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
}

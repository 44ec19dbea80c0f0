import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { MS_OPENAPI } from '../../server/http/ms-openapi.js';

// ajv-formats is CommonJS with a default export; under NodeNext its callable is the module's `default`.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
const doc = JSON.parse(JSON.stringify(MS_OPENAPI)) as Doc;

/** What @seriousme/openapi-schema-validator finds wrong with our description against the OpenAPI 3.0 schema. */
export async function descriptionErrors(): Promise<unknown[]> {
  const r = await new Validator().validate(JSON.parse(JSON.stringify(MS_OPENAPI)) as Record<string, unknown>);
  return r.valid ? [] : Array.isArray(r.errors) ? r.errors : [r.errors];
}

// One ajv holding the whole description, so `#/components/schemas/…` references resolve as in the document.
// Not strict: OpenAPI members (openapi, paths, example) are not JSON Schema keywords.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: 'ms-openapi' });

const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks one answer of a Ms resource against our description: its status is one the operation lists (a path
 * or method without an operation: 404 or 405 with the Error body, as the description says), its type is JSON,
 * and its body matches that response's schema.
 */
export function expectDescribedAnswer(method: string, path: string, answer: { status: number; headers: Headers; json: unknown; text: string }): void {
  const op = doc.paths[path]?.[method.toLowerCase()];
  let ref: string;
  if (op) {
    expect(Object.keys(op.responses), `${method} ${path}: status ${answer.status} is described`).toContain(String(answer.status));
    ref = `ms-openapi#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${answer.status}/content/application~1json/schema`;
  } else {
    expect([404, 405], `${method} ${path} has no operation: 404 or 405`).toContain(answer.status);
    ref = 'ms-openapi#/components/schemas/Error';
  }
  if (method === 'HEAD') return;
  expect(answer.headers.get('content-type') ?? '', `${method} ${path} ${answer.status}: JSON`).toMatch(/^application\/json\b/);
  const validate = ajv.getSchema(ref);
  expect(validate, ref).toBeDefined();
  const ok = validate!(answer.json);
  expect(ok ? [] : validate!.errors, `${method} ${path} ${answer.status}: ${answer.text.slice(0, 300)}`).toEqual([]);
}

import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../../core/errors.js';
import { signResponseSchema } from './sign.js';
import { routingResponseSchema } from './routing.js';
import { VERIFY_OPENAPI_PATHS } from './verify-openapi.js';

const tn = { type: 'string', description: 'Telephone number; separators and a leading + are removed (RFC 8224 §8.3).', example: '14045266060' };
const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'reason'],
      properties: { code: { type: 'string', enum: [...ERROR_CODES] }, field: { type: 'string' }, reason: { type: 'string' } },
    },
  },
};
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorBody } } });

const signRequest = {
  type: 'object',
  required: ['orig', 'dest'],
  properties: {
    orig: { type: 'object', description: 'Exactly one of tn or uri.', properties: { tn, uri: { type: 'string' } } },
    dest: {
      type: 'object',
      description: 'At least one tn or uri.',
      properties: { tn: { type: 'array', items: tn }, uri: { type: 'array', items: { type: 'string' } } },
    },
    attest: { type: 'string', enum: ['A', 'B', 'C'], description: 'Requested attestation; X-Attestation beats it; capped at the account maximum.' },
    origid: { type: 'string', format: 'uuid', description: 'Kept as given; generated when absent.' },
    iat: { type: 'integer', description: 'Seconds since the epoch; defaults to now; must be within the account token TTL of now.' },
  },
  example: { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' },
};

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'shakenstack', version: '1', description: 'STIR/SHAKEN authentication (STI-AS) and verification (STI-VS) service.' },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key created with `shakenstack apikey create`.' } },
  },
  paths: {
    '/api/stir-shaken/sign': {
      post: {
        summary: 'Sign a call: returns the SIP Identity header',
        security: [{ apiKey: [] }],
        parameters: [{ name: 'X-Attestation', in: 'header', schema: { type: 'string', enum: ['A', 'B', 'C'] }, description: 'Overrides the body attest.' }],
        requestBody: { required: true, content: { 'application/json': { schema: signRequest } } },
        responses: {
          200: { description: 'Signed', content: { 'application/json': { schema: signResponseSchema } } },
          400: errorResponse('Invalid input; `field` names it'),
          401: errorResponse('Missing or invalid API key'),
          403: errorResponse('Revoked key or disabled account'),
          409: errorResponse('The account has no usable credential'),
          413: errorResponse('Body too large'),
          415: errorResponse('Content-Type is not application/json'),
          503: errorResponse('Key store or store unavailable'),
        },
      },
    },
    '/api/routing': {
      post: {
        summary: 'Sign a call and decide where it goes: routes by destination prefix, else the Request-URI',
        security: [{ apiKey: [] }],
        parameters: [{ name: 'X-Attestation', in: 'header', schema: { type: 'string', enum: ['A', 'B', 'C'] } }],
        requestBody: { required: true, content: { 'application/json': { schema: { ...signRequest, properties: { ...signRequest.properties, requestUri: { type: 'string', description: 'sip:/sips: URI used when no rule matches.' } } } } } },
        responses: { 200: { description: 'Signed and routed', content: { 'application/json': { schema: routingResponseSchema } } }, 400: errorResponse('Invalid input'), 401: errorResponse('Missing or invalid API key') },
      },
    },
    '/stir/v1/signing': {
      post: {
        summary: 'ATIS-1000082 signing request',
        security: [{ apiKey: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['signingRequest'],
                properties: { signingRequest: { ...signRequest, required: ['attest', 'dest', 'iat', 'orig', 'origid'] } },
              },
            },
          },
        },
        responses: {
          200: { description: 'Signed', content: { 'application/json': { schema: { type: 'object', properties: { signingResponse: { type: 'object', properties: { identity: { type: 'string' } } } } } } } },
          default: { description: 'ATIS-1000082 requestError with serviceException or policyException' },
        },
      },
    },
    ...VERIFY_OPENAPI_PATHS,
    '/certs/{name}': {
      get: {
        summary: 'Certificate chain published at a credential x5u',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}\\.pem$' } }],
        responses: { 200: { description: 'PEM chain, leaf first', content: { 'application/pem-certificate-chain': {} } }, 404: errorResponse('Unknown') },
      },
    },
    '/health/live': { get: { summary: 'Liveness', responses: { 200: { description: 'Process is up' } } } },
    '/health/ready': { get: { summary: 'Readiness: store and key stores', responses: { 200: { description: 'Ready, or degraded (store down, signing from cache)' }, 503: { description: 'Not ready' } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
  },
} as const;

export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', async () => OPENAPI_DOCUMENT);
}

import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../../core/errors.js';
import { signResponseSchema } from './sign.js';
import { signDivResponseSchema } from './sign-div.js';
import { signRphResponseSchema } from './sign-rph.js';
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
    rcd: {
      type: 'object',
      description: 'Brand the call (RFC 9795 Rich Call Data): a vetted RCD profile of the account by id, or its RCD fields (nam, apn, icn, jcd, jcl) exactly; crn one of its call reasons. Anything else: 403 ERR_ATTEST_REFUSED, field rcd.profile, rcd.nam or rcd.crn. docs/branded-calls.md.',
      properties: { profile: { type: 'string' }, crn: { type: 'string', maxLength: 64 }, nam: { type: 'string', maxLength: 64 } },
    },
  },
  example: { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' },
};

const target = (description: string) => ({ type: 'object', description: `${description} Exactly one of tn or uri; a bare string is taken as a tn.`, properties: { tn, uri: { type: 'string' } } });
const SHAKEN_IDENTITY_EXAMPLE =
  'eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9zdGkuZXhhbXBsZS5uZXQvY2VydHMvc3AucGVtIn0.eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxODAwMTIzNDU2NyJdfSwiaWF0IjoxNzY1MDAwMDAwLCJvcmlnIjp7InRuIjoiMTQwNDUyNjYwNjAifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjU1NDQwMDAwIn0.c2lnbmF0dXJl;info=<https://sti.example.net/certs/sp.pem>;alg=ES256;ppt=shaken';

/** RFC 8946 §3: a div PASSporT, given explicitly or drawn from the PASSporTs the call arrived with. */
const signDivRequest = {
  type: 'object',
  required: ['dest'],
  description: 'Either `{orig, dest, div, iat?, origid?}`, or `{identity, dest, div?, iat?}` where orig and origid come from the shaken PASSporT among `identity` and div from the last hop\'s dest (the last div\'s, else the shaken one).',
  properties: {
    identity: {
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
      description: 'Every Identity header value the call arrived with (one shaken, any earlier divs), unverified: the terminating verifier judges them. Excludes orig and origid.',
    },
    orig: target('The calling party (explicit form).'),
    dest: { type: 'object', description: 'The new target(s): at least one tn or uri.', properties: { tn: { type: 'array', items: tn }, uri: { type: 'array', items: { type: 'string' } } } },
    div: target('Where the call was sent before this retargeting: required in the explicit form; with identity, needed only when the last hop went to several numbers, and then one of them.'),
    origid: { type: 'string', format: 'uuid', description: 'Explicit form only: the shaken PASSporT\'s origid, so the call keeps one (ATIS-1000085); generated when absent.' },
    iat: { type: 'integer', description: 'Seconds since the epoch; defaults to now; must be within the account token TTL of now.' },
    ppt: { type: 'string', enum: ['div', 'div-o'], description: 'div (default), or div-o: the PASSporT this hop diverts is nested in the opt claim (RFC 8946 §5); identity form only.' },
  },
};

/** RFC 8443 §3 (and RFC 9027 §3, §4): an rph PASSporT for a priority call, signed only for granted namespaces. */
const signRphRequest = {
  type: 'object',
  required: ['orig', 'dest', 'rph'],
  properties: {
    orig: target('The calling party (RFC 9027 §3: for an esnet call-back, the PSAP\'s number).'),
    dest: { type: 'object', description: 'At least one tn or uri (RFC 9027 §3: an emergency call goes to a dial string such as 911, or uri urn:service:sos).', properties: { tn: { type: 'array', items: tn }, uri: { type: 'array', items: { type: 'string' } } } },
    rph: {
      type: 'object',
      required: ['auth'],
      properties: {
        auth: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          items: { type: 'string', pattern: "^[A-Za-z0-9!%*_+`'~-]+\\.[A-Za-z0-9!%*_+`'~-]+$", example: 'ets.0' },
          description: 'The Resource-Priority r-values of the call (RFC 4412 §3.1 `namespace.priority`); compared case-insensitively, signed lower-case. Every namespace must be granted to the account (ets, wps, esnet).',
        },
      },
    },
    sph: { type: 'string', enum: ['psap-callback'], description: 'The SIP Priority value of a PSAP call-back (RFC 9027 §4).' },
    iat: { type: 'integer', description: 'Seconds since the epoch; defaults to now; must be within the account token TTL of now.' },
  },
  example: { orig: { tn: '14045266060' }, dest: { tn: ['12025550199'] }, rph: { auth: ['ets.0', 'wps.0'] } },
};
const RPH_IDENTITY_EXAMPLE =
  'eyJhbGciOiJFUzI1NiIsInBwdCI6InJwaCIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9zdGkuZXhhbXBsZS5uZXQvY2VydHMvc3AucGVtIn0.eyJkZXN0Ijp7InRuIjpbIjEyMDI1NTUwMTk5Il19LCJpYXQiOjE3NjUwMDAwMDAsIm9yaWciOnsidG4iOiIxNDA0NTI2NjA2MCJ9LCJycGgiOnsiYXV0aCI6WyJldHMuMCIsIndwcy4wIl19fQ.c2lnbmF0dXJl;info=<https://sti.example.net/certs/sp.pem>;alg=ES256;ppt=rph';

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
    '/api/stir-shaken/div': {
      post: {
        summary: 'Sign a div PASSporT for a forwarded call (RFC 8946): returns an Identity header with ppt=div to add beside the received ones',
        security: [{ apiKey: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: signDivRequest,
              examples: {
                fromReceivedIdentity: {
                  summary: 'Drawn from the Identity header(s) the call arrived with',
                  value: { identity: [SHAKEN_IDENTITY_EXAMPLE], dest: { tn: ['12025550199'] } },
                },
                explicit: {
                  summary: 'Every claim given',
                  value: { orig: { tn: '14045266060' }, dest: { tn: ['12025550199'] }, div: { tn: '18001234567' }, origid: '123e4567-e89b-12d3-a456-426655440000' },
                },
              },
            },
          },
        },
        responses: {
          200: {
            description: 'Signed',
            content: {
              'application/json': {
                schema: signDivResponseSchema,
                example: {
                  identity: 'eyJhbGciOiJFUzI1NiIsInBwdCI6ImRpdiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9zdGkuZXhhbXBsZS5uZXQvY2VydHMvc3AucGVtIn0.eyJkZXN0Ijp7InRuIjpbIjEyMDI1NTUwMTk5Il19LCJkaXYiOnsidG4iOiIxODAwMTIzNDU2NyJ9LCJpYXQiOjE3NjUwMDAwMDUsIm9yaWciOnsidG4iOiIxNDA0NTI2NjA2MCJ9LCJvcmlnaWQiOiIxMjNlNDU2Ny1lODliLTEyZDMtYTQ1Ni00MjY2NTU0NDAwMDAifQ.c2lnbmF0dXJl;info=<https://sti.example.net/certs/sp.pem>;alg=ES256;ppt=div',
                  div: { tn: '18001234567' },
                  dest: { tn: ['12025550199'] },
                  orig: { tn: '14045266060' },
                  origid: '123e4567-e89b-12d3-a456-426655440000',
                  iat: 1765000005,
                  x5u: 'https://sti.example.net/certs/sp.pem',
                },
              },
            },
          },
          400: errorResponse('Invalid input; `field` names it (`identity`, `div`, `dest.tn[0]`, `iat`)'),
          401: errorResponse('Missing or invalid API key'),
          403: errorResponse('Revoked key, disabled account, or div refused by the enforce policy (a div number outside the inventory, a gateway key)'),
          409: errorResponse('The account has no usable credential'),
          413: errorResponse('Body too large'),
          415: errorResponse('Content-Type is not application/json'),
          503: errorResponse('Key store or store unavailable'),
        },
      },
    },
    '/api/stir-shaken/rph': {
      post: {
        summary: 'Sign an rph PASSporT for a priority call (RFC 8443): returns an Identity header with ppt=rph to send beside the shaken one',
        description: 'Refused (403 ERR_ATTEST_REFUSED, field rph.auth) unless an operator granted the account every Resource-Priority namespace asked for. See docs/priority-calls.md.',
        security: [{ apiKey: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: signRphRequest } } },
        responses: {
          200: {
            description: 'Signed',
            content: {
              'application/json': {
                schema: signRphResponseSchema,
                example: { identity: RPH_IDENTITY_EXAMPLE, rph: { auth: ['ets.0', 'wps.0'] }, dest: { tn: ['12025550199'] }, orig: { tn: '14045266060' }, iat: 1765000000, x5u: 'https://sti.example.net/certs/sp.pem' },
              },
            },
          },
          400: errorResponse('Invalid input; `field` names it (`rph`, `rph.auth`, `rph.auth[1]`, `sph`, `dest.tn[0]`, `iat`)'),
          401: errorResponse('Missing or invalid API key'),
          403: errorResponse('Revoked key, disabled account, or rph refused: the account was not granted a namespace asked for (ERR_ATTEST_REFUSED, field rph.auth)'),
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

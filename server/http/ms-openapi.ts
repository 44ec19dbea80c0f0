import { MS_PREFIX } from './ms-errors.js';

// Our OpenAPI 3.0 description of the 3GPP Ms resources (docs/3gpp-ms.md), written from the public one ("3GPP-based
// Call Authentication APIs", TS 24.229 Release 17) for what this service accepts and answers. Served at
// /3gpp/ms/v1/openapi.json; test/http/3gpp-ms*.test.ts validate it as OpenAPI and every answer against it.

const tn = { type: 'string', description: 'Telephone number; separators and a leading + are removed (RFC 8224 §8.3).', example: '12155551212' };
const uri = { type: 'string', description: 'A sip:, sips: or tel: URI.', example: 'sip:alice@example.com' };
const one = (description: string) => ({ type: 'object', description: `${description} Exactly one of tn or uri.`, properties: { tn, uri } });
const many = (description: string) => ({ type: 'object', description: `${description} At least one tn or uri.`, properties: { tn: { type: 'array', items: tn }, uri: { type: 'array', items: uri } } });
const opaque = (description: string) => ({ type: 'string', maxLength: 256, description });
const verstat = { type: 'string', enum: ['TN-Validation-Passed', 'TN-Validation-Failed', 'No-TN-Validation'] };

const signingRequestBody = {
  type: 'object',
  required: ['orig', 'dest'],
  properties: {
    ppt: { type: 'string', enum: ['shaken', 'div', 'rph'], description: 'Which PASSporT to sign; absent or empty: shaken.' },
    attest: { type: 'string', enum: ['A', 'B', 'C'], description: 'shaken: the attestation asked for, capped by the account. Ignored for div and rph.' },
    orig: one('The calling party.'),
    dest: many('The called party: To for shaken and rph; the Request-URI after retargeting for div.'),
    iat: { type: 'integer', description: 'Seconds since the epoch; defaults to now; within the account token TTL of now.' },
    origid: { type: 'string', format: 'uuid', description: 'shaken and div: kept as given; generated when absent. Ignored for rph.' },
    div: {
      type: 'object',
      description: 'ppt div only: the diverting user, the Request-URI before retargeting. Exactly one of tn or uri.',
      properties: { tn, uri, hi: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$', description: 'The History-Info index of the diverting user\'s entry (RFC 7044); not signed.', example: '1.1' } },
    },
    rph: { type: 'object', required: ['auth'], description: 'ppt rph only (RFC 8443).', properties: { auth: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', example: 'ets.0' }, description: 'Resource-Priority r-values; the account must be granted each namespace.' } } },
    sph: { type: 'string', enum: ['psap-callback'], description: 'ppt rph only: the SIP Priority value (RFC 9027).' },
    profileId: opaque('Accepted and not used: the account of the API key decides the policy.'),
    requestId: opaque('Reflected in the answer.'),
  },
};

const signingResponseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['identityHeader'],
  properties: {
    identityHeader: { type: 'string', description: 'The Identity header value (RFC 8224 §4): `<jws>;info=<x5u>;alg=ES256;ppt=shaken` (ppt unquoted).' },
    requestId: { type: 'string', description: 'As in the request.' },
  },
};

const verificationRequestBody = {
  type: 'object',
  required: ['from', 'to', 'time'],
  properties: {
    identityHeader: { type: 'string', description: 'The shaken Identity header value.' },
    identityHeaders: { type: 'array', items: { type: 'string' }, description: 'The div and rph Identity header values of the same call.' },
    from: one('The asserted calling party (P-Asserted-Identity, else From); a uri is read for its number.'),
    to: { type: 'object', description: 'The called party (To). tn as a string or an array.', properties: { tn: { oneOf: [tn, { type: 'array', items: tn }] }, uri } },
    dest: one('The Request-URI: where a chain of div PASSporTs must end (default: to).'),
    time: { type: 'integer', description: 'The SIP Date in seconds since the epoch.' },
    protectedHeaders: { type: 'array', items: { type: 'string' }, description: 'Accepted and not compared: PASSporTs are judged against the call\'s numbers.' },
    profileId: opaque('Accepted and not used.'),
    requestId: opaque('Reflected in the answer.'),
    displayName: opaque('Reflected in the answer unchanged.'),
  },
};

const verifyResult = {
  type: 'object',
  additionalProperties: false,
  required: ['ppt', 'status'],
  properties: {
    ppt: { type: 'string', description: 'The PASSporT type as read.' },
    status: { type: 'string', enum: ['pass', 'fail'] },
    reasonCode: { type: 'integer', enum: [403, 436, 437, 438], description: 'fail: the SIP status of the failure (RFC 8224 §6.2.2).' },
    reasonText: { type: 'string', enum: ['Stale Date', 'Bad Identity Info', 'Unsupported Credential', 'Invalid Identity Header'], description: 'fail: its reason phrase.' },
    reasonDescription: { type: 'string', description: 'fail: what the verifier found.' },
    passport: { type: 'string', description: 'fail: the failing PASSporT as sent.' },
    validClaims: { type: 'object', description: 'pass: the verified claims.' },
  },
};

const verificationResponseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['verstatValue', 'verifyResults'],
  properties: {
    requestId: { type: 'string' },
    displayName: { type: 'string' },
    verstatValue: { ...verstat, description: 'The call\'s verstat (TS 24.229).' },
    verstatPriority: { type: 'string', enum: ['RPH-Validation-Passed'], description: 'Present when the call carried rph PASSporTs and every one passed.' },
    divResult: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['div', 'verstatValue'], properties: { div: { type: 'object', properties: { tn, uri } }, verstatValue: verstat } },
      description: 'One per div PASSporT whose claims could be read: its diverting identity and verstat.',
    },
    verifyResults: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', additionalProperties: false, required: ['verifyResult'], properties: { verifyResult: { $ref: '#/components/schemas/VerifyResult' } } },
      description: 'One per PASSporT, in the order of the request (identityHeader, then identityHeaders).',
    },
  },
};

const wrapped = (name: string, ref: string) => ({ type: 'object', additionalProperties: false, required: [name], properties: { [name]: { $ref: `#/components/schemas/${ref}` } } });
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const error = (description: string) => ({ description, content: json('Error') });

/** The error answers of both POST resources (ms-errors.ts): the spec's statuses and ours. */
const errorResponses = {
  '400': error('Missing request body, Missing mandatory parameter, Invalid parameter value, or Failed to parse message body.'),
  '401': error('Unauthorized: no API key, or an unknown one.'),
  '403': error('Forbidden: the key is revoked, the account disabled, or the account may not sign this (an rph namespace it was not granted).'),
  '406': error('Requested response body type is not supported: the Accept header admits no JSON.'),
  '409': error('No usable signing credential.'),
  '413': error('Request body too large.'),
  '415': error('Unsupported request body type: the body is not application/json.'),
  '500': error('Internal server error.'),
  '503': error('Service unavailable: the key store or the database cannot serve now.'),
};

export const MS_OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'shakenstack: 3GPP Ms reference point',
    version: '1.0.0',
    description:
      'The STI-AS and STI-VS resources of TS 24.229 (Release 17) Annex V as shakenstack serves them, written from the public description "3GPP-based Call Authentication APIs". Any other method on a resource is 405 with Allow; any other path under /3gpp/ms/v1/ is 404; both with the Error body.',
  },
  security: [{ bearer: [] }],
  paths: {
    [`${MS_PREFIX}signing`]: {
      post: {
        operationId: 'msSigning',
        summary: 'Sign a shaken, div or rph PASSporT (STI-AS).',
        requestBody: { required: true, content: json('SigningRequest') },
        responses: { '200': { description: 'The Identity header value.', content: json('SigningResponse') }, ...errorResponses },
      },
    },
    [`${MS_PREFIX}verification`]: {
      post: {
        operationId: 'msVerification',
        summary: 'Verify the PASSporTs of one call (STI-VS).',
        requestBody: { required: true, content: json('VerificationRequest') },
        responses: { '200': { description: 'The verdict, whatever it is.', content: json('VerificationResponse') }, ...errorResponses },
      },
    },
    [`${MS_PREFIX}openapi.json`]: {
      get: {
        operationId: 'msOpenApi',
        summary: 'This description.',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.0 document.', content: { 'application/json': { schema: { type: 'object' } } } }, '406': error('The Accept header admits no JSON.') },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key of the account, as for the rest of the API.' } },
    schemas: {
      SigningRequest: wrapped('signingRequest', 'SigningRequestBody'),
      SigningRequestBody: signingRequestBody,
      SigningResponse: wrapped('signingResponse', 'SigningResponseBody'),
      SigningResponseBody: signingResponseBody,
      VerificationRequest: wrapped('verificationRequest', 'VerificationRequestBody'),
      VerificationRequestBody: verificationRequestBody,
      VerificationResponse: wrapped('verificationResponse', 'VerificationResponseBody'),
      VerificationResponseBody: verificationResponseBody,
      VerifyResult: verifyResult,
      Error: { type: 'object', additionalProperties: false, required: ['error'], properties: { error: { type: 'string', description: 'The TS 24.229 text of the error, then what was wrong.' } } },
    },
  },
} as const;

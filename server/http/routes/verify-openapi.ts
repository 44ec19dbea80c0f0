import { VERIFY_REASON_LIST } from '../../core/verify/verify-result.js';

const number = { type: 'string', description: 'Telephone number or SIP/tel URI; canonicalised (RFC 8224 §8.3) before comparing.', example: '+1 404 526 6060' };
const checks = { type: 'object', description: 'Per check: true passed, false failed, null not run.', additionalProperties: { type: ['boolean', 'null'] } };

const verifyRequest = {
  type: 'object',
  required: ['identity'],
  properties: {
    identity: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 16 }], description: 'The Identity header value(s) as received; the shaken one is picked among div/rcd.' },
    pai: { ...number, description: 'P-Asserted-Identity number; beats from.' },
    from: { ...number, description: 'From number, used when pai is absent. Alias: orig (string or {"tn":…}).' },
    to: { oneOf: [number, { type: 'array', items: number }], description: 'Called number(s); each must be in dest.tn. Alias: dest.' },
    time: { type: 'integer', description: 'SIP Date in seconds since the epoch; checked for freshness.' },
    date: { type: 'string', description: 'SIP Date header value (IMF-fixdate), instead of time.' },
  },
  example: { identity: 'eyJ…;info=<https://cr.example.net/sti.pem>;alg=ES256;ppt=shaken', from: '14045266060', to: '18001234567' },
};

const verifyResult = {
  type: 'object',
  required: ['ok', 'verstat', 'checks'],
  properties: {
    ok: { type: 'boolean' },
    verstat: { type: 'string', enum: ['TN-Validation-Passed', 'TN-Validation-Failed', 'No-TN-Validation'] },
    attest: { type: 'string', enum: ['A', 'B', 'C'] },
    origid: { type: 'string' },
    claims: { type: 'object' },
    x5u: { type: 'string' },
    cert: { type: 'object', properties: { spc: { type: 'string' }, subject: { type: 'string' }, issuer: { type: 'string' }, serialNumber: { type: 'string' }, notAfter: { type: 'string', format: 'date-time' }, fromCache: { type: 'boolean' }, revocation: { type: 'string', enum: ['good', 'unavailable', 'not-checked'] } } },
    warnings: { type: 'array', items: { type: 'string' } },
    sip: { type: 'integer', enum: [403, 436, 437, 438] },
    reasonPhrase: { type: 'string' },
    reason: { type: 'string', enum: VERIFY_REASON_LIST },
    reasonText: { type: 'string' },
    atisReasonCode: { type: 'integer' },
    checks,
  },
};

/** The verification paths of the OpenAPI document. */
export const VERIFY_OPENAPI_PATHS = {
  '/api/stir-shaken/verify': {
    post: {
      summary: 'Verify an Identity header (STI-VS); every verification outcome is 200',
      security: [{ apiKey: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: verifyRequest } } },
      responses: {
        200: { description: 'The verification result (passed or not)', content: { 'application/json': { schema: verifyResult } } },
        400: { description: 'Malformed request' },
        401: { description: 'Missing or invalid API key' },
      },
    },
  },
  '/stir/v1/verification': {
    post: {
      summary: 'ATIS-1000082 verification request',
      security: [{ apiKey: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['verificationRequest'],
              properties: {
                verificationRequest: {
                  type: 'object',
                  required: ['from', 'to', 'time', 'identity'],
                  properties: { from: { type: 'object', properties: { tn: { type: 'string' } } }, to: { type: 'object', properties: { tn: { type: 'array', items: { type: 'string' } } } }, time: { type: 'integer' }, identity: { type: 'string' } },
                },
              },
            },
          },
        },
      },
      responses: {
        200: { description: '{"verificationResponse":{"verstat","reasoncode"?,"reasontext"?}}' },
        default: { description: 'ATIS-1000082 requestError with serviceException or policyException' },
      },
    },
  },
} as const;

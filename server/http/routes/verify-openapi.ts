import { CHAIN_PROBLEM_REASONS, PASSPORT_KINDS, SIP_REASON_PHRASE, VERIFY_REASON_LIST } from '../../core/verify/verify-result.js';

/** Every SIP status a failed verification can carry (verify-result.ts), so the description follows the core. */
const SIP_CODES = Object.keys(SIP_REASON_PHRASE).map(Number);

const number = { type: 'string', description: 'Telephone number or SIP/tel URI; canonicalised (RFC 8224 §8.3) before comparing.', example: '+1 404 526 6060' };
const checks = { type: 'object', description: 'Per check: true passed, false failed, null not run.', additionalProperties: { type: ['boolean', 'null'] } };

const verifyRequest = {
  type: 'object',
  required: ['identity'],
  properties: {
    identity: {
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 16 }],
      description: 'The Identity header value(s) as received, in any order. One shaken header: that PASSporT is judged against the call. A div among them, or several headers: every PASSporT is judged and the shaken and div ones must form one chain (RFC 8946); the answer then carries `call`. Only an SBC heartbeat (docs/oracle-sbc.md) may leave it out: reason identity_absent, sip 428; or any call once an STI-CPS is configured (docs/out-of-band.md): its PASSporTs are then retrieved and the answer carries source out-of-band.',
    },
    pai: { ...number, description: 'P-Asserted-Identity number; beats from.' },
    from: { ...number, description: 'From number, used when pai is absent. Alias: orig (string or {"tn":…}).' },
    to: { oneOf: [number, { type: 'array', items: number }], description: 'Called number(s); each must be in dest.tn (one shaken header). For a chain the first is where it must end when ruri is absent. Alias: dest.' },
    ruri: { ...number, description: 'The number called now (the Request-URI): where a chain of div PASSporTs must end. Default: the first to. Not used for one shaken header.' },
    time: { type: 'integer', description: 'SIP Date in seconds since the epoch; checked for freshness.' },
    date: { type: 'string', description: 'SIP Date header value (IMF-fixdate), instead of time.' },
    resourcePriority: {
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      description: 'The call\'s Resource-Priority header value(s) (RFC 4412 §3.1, e.g. "ets.0, wps.0"): the answer\'s call.priority says which of them the call\'s rph PASSporTs authorise (RFC 8443). Given, the call is judged as a call (with `call`) even with one Identity header.',
    },
  },
  example: { identity: 'eyJ…;info=<https://cr.example.net/sti.pem>;alg=ES256;ppt=shaken', from: '14045266060', to: '18001234567' },
};

const cert = { type: 'object', properties: { spc: { type: 'string' }, subject: { type: 'string' }, issuer: { type: 'string' }, serialNumber: { type: 'string' }, notAfter: { type: 'string', format: 'date-time' }, fromCache: { type: 'boolean' }, revocation: { type: 'string', enum: ['good', 'unavailable', 'not-checked'] } } };
const verstat = { type: 'string', enum: ['TN-Validation-Passed', 'TN-Validation-Failed', 'No-TN-Validation'] };

/** What a call's Rich Call Data verified and what failed (RFC 9795; docs/branded-calls.md). */
const rcdReport = {
  type: 'object',
  description: 'Rich Call Data (RFC 9795) carried by the shaken PASSporT or an rcd PASSporT: show only what is in verified.',
  required: ['ok', 'placement', 'verified', 'failed'],
  properties: {
    ok: { type: 'boolean', description: 'True when every RCD item verified.' },
    placement: { type: 'string', enum: ['shaken', 'rcd'] },
    verified: {
      type: 'object',
      properties: { nam: { type: 'string' }, apn: { type: 'string' }, crn: { type: 'string' }, icn: { type: 'string' }, jcl: { type: 'string' }, jcd: { type: 'array' } },
      description: 'nam, apn and crn are covered by the signature; icn, jcl and jcd only when their rcdi digest matched.',
    },
    failed: { type: 'array', items: { type: 'object', required: ['field', 'detail'], properties: { field: { type: 'string' }, detail: { type: 'string' } } } },
  },
};

/** The `call` member: present when the request was judged as a chain (a div, or several Identity headers). */
const callVerdict = {
  type: 'object',
  description: 'Every Identity header of the call with its own verdict, the chain and its problems (RFC 8946).',
  required: ['passports', 'chain', 'problems'],
  properties: {
    passports: {
      type: 'array',
      description: 'One per Identity header, in the order received.',
      items: {
        type: 'object',
        required: ['index', 'kind', 'ok'],
        properties: {
          index: { type: 'integer', description: 'Position as received, from 0.' },
          kind: { type: 'string', enum: PASSPORT_KINDS },
          ppt: { type: 'string' },
          hop: { type: 'integer', description: 'For a div (or div-o) on the chain: 1 for the first retargeting.' },
          nestedIn: { type: 'integer', description: 'For a PASSporT unpacked from a div-o\'s opt (RFC 8946 §5): the index of the div-o that carried it; such entries follow the received headers.' },
          ok: { type: ['boolean', 'null'], description: 'null: not judged (unsupported ppt, unparseable header). An rph that fails does not fail the call; an rcd PASSporT fails with rcd_integrity when its linked content does not verify.' },
          verstat,
          sip: { type: 'integer', enum: SIP_CODES },
          reasonPhrase: { type: 'string' },
          reason: { type: 'string', enum: VERIFY_REASON_LIST },
          reasonText: { type: 'string' },
          claims: { type: 'object' },
          x5u: { type: 'string' },
          cert,
          checks,
          warnings: { type: 'array', items: { type: 'string' } },
          rph: {
            type: 'object',
            description: 'For an rph PASSporT (RFC 8443): what it vouches for and what it does for the call.',
            required: ['auth', 'agreesWithShaken', 'agreesWithCaller', 'authorizes'],
            properties: {
              auth: { type: 'array', items: { type: 'string' }, description: 'Its rph.auth r-values, lower-case (as received when it failed).' },
              sph: { type: 'string', description: 'Its sph claim (RFC 9027 §4: psap-callback).' },
              agreesWithShaken: { type: ['boolean', 'null'], description: 'Its orig is the shaken PASSporT\'s and its dest names a target the shaken dest names (or urn:service:sos); null: it failed, or no readable shaken PASSporT.' },
              agreesWithCaller: { type: ['boolean', 'null'], description: 'Its orig is the calling number (pai, else from); null: it failed, or no calling number given.' },
              authorizes: { type: 'boolean', description: 'It passed and agrees wherever comparable: its auth values authorise the call\'s priority.' },
            },
          },
          rcd: rcdReport,
        },
      },
    },
    priority: {
      type: 'object',
      description: 'Present when the call carries an rph PASSporT or the request gave resourcePriority: the priority the call may be given. It never changes verstat.',
      required: ['authorized'],
      properties: {
        authorized: { type: 'array', items: { type: 'string' }, description: 'r-values (lower-case) authorised by an rph PASSporT that passed and agrees with the call.' },
        sph: { type: 'string', description: 'psap-callback, when such an rph PASSporT vouches for it (RFC 9027 §4).' },
        unauthorized: { type: 'array', items: { type: 'string' }, description: 'The request\'s resourcePriority values nothing authorises: not to be honoured (RFC 8443).' },
      },
    },
    chain: { type: 'array', items: { type: 'integer' }, description: 'Indexes of the shaken and the div PASSporTs in chain order.' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['reason', 'detail'],
        properties: {
          reason: { type: 'string', enum: CHAIN_PROBLEM_REASONS },
          index: { type: 'integer' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

const verifyResult = {
  type: 'object',
  required: ['ok', 'verstat', 'checks'],
  properties: {
    ok: { type: 'boolean' },
    verstat,
    attest: { type: 'string', enum: ['A', 'B', 'C'] },
    origid: { type: 'string' },
    claims: { type: 'object' },
    x5u: { type: 'string' },
    cert,
    warnings: { type: 'array', items: { type: 'string' } },
    sip: { type: 'integer', enum: SIP_CODES },
    reasonPhrase: { type: 'string' },
    reason: { type: 'string', enum: VERIFY_REASON_LIST },
    reasonText: { type: 'string' },
    atisReasonCode: { type: 'integer' },
    checks,
    rcd: rcdReport,
    call: callVerdict,
    source: { type: 'string', enum: ['out-of-band'], description: 'Present when the PASSporTs were looked up at the STI-CPS (`cpsClient.retrieveAccount`) because the call carried no Identity.' },
  },
};

/** The verification paths of the OpenAPI document. */
export const VERIFY_OPENAPI_PATHS = {
  '/api/stir-shaken/verify': {
    post: {
      summary: 'Verify a call\'s Identity header(s) (STI-VS), a forwarded call\'s div chain included; every verification outcome is 200',
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

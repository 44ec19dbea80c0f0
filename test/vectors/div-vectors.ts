import type { DivClaims } from '../../server/core/div/div-passport.js';

/** Golden div PASSporT parts as data, each titled with the rule it pins down; compared byte for byte. */
export interface DivVector {
  title: string;
  x5u: string;
  claims: DivClaims;
  headerJson: string;
  headerB64: string;
  payloadJson: string;
  payloadB64: string;
  identityParams: string;
}

export const DIV_VECTORS: DivVector[] = [
  {
    title: 'RFC 8946 §3 div PASSporT with the ATIS-1000085 origid: header ppt "div", claims dest, div, iat, orig, origid in lexicographic order (RFC 8225 §9)',
    x5u: 'https://cert.example.org/passport.cer',
    claims: { dest: { tn: ['12155551214'] }, div: { tn: '12155551213' }, iat: 1443208345, orig: { tn: '12155551212' }, origid: '123e4567-e89b-12d3-a456-426655440000' },
    headerJson: '{"alg":"ES256","ppt":"div","typ":"passport","x5u":"https://cert.example.org/passport.cer"}',
    headerB64: 'eyJhbGciOiJFUzI1NiIsInBwdCI6ImRpdiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9',
    payloadJson: '{"dest":{"tn":["12155551214"]},"div":{"tn":"12155551213"},"iat":1443208345,"orig":{"tn":"12155551212"},"origid":"123e4567-e89b-12d3-a456-426655440000"}',
    payloadB64:
      'eyJkZXN0Ijp7InRuIjpbIjEyMTU1NTUxMjE0Il19LCJkaXYiOnsidG4iOiIxMjE1NTU1MTIxMyJ9LCJpYXQiOjE0NDMyMDgzNDUsIm9yaWciOnsidG4iOiIxMjE1NTU1MTIxMiJ9LCJvcmlnaWQiOiIxMjNlNDU2Ny1lODliLTEyZDMtYTQ1Ni00MjY2NTU0NDAwMDAifQ',
    identityParams: ';info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=div',
  },
  {
    // The base64url strings below were written by secsipidx 1.2.0 (`-sign -header … -payload …`), not by us.
    title: 'RFC 8946 §3 div PASSporT without origid (plain RFC 8946), encoded identically by secsipidx',
    x5u: 'https://a.example/c.pem',
    claims: { dest: { tn: ['12025550199'] }, div: { tn: '18001234567' }, iat: 1700000000, orig: { tn: '14045266060' } },
    headerJson: '{"alg":"ES256","ppt":"div","typ":"passport","x5u":"https://a.example/c.pem"}',
    headerB64: 'eyJhbGciOiJFUzI1NiIsInBwdCI6ImRpdiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9hLmV4YW1wbGUvYy5wZW0ifQ',
    payloadJson: '{"dest":{"tn":["12025550199"]},"div":{"tn":"18001234567"},"iat":1700000000,"orig":{"tn":"14045266060"}}',
    payloadB64: 'eyJkZXN0Ijp7InRuIjpbIjEyMDI1NTUwMTk5Il19LCJkaXYiOnsidG4iOiIxODAwMTIzNDU2NyJ9LCJpYXQiOjE3MDAwMDAwMDAsIm9yaWciOnsidG4iOiIxNDA0NTI2NjA2MCJ9fQ',
    identityParams: ';info=<https://a.example/c.pem>;alg=ES256;ppt=div',
  },
];

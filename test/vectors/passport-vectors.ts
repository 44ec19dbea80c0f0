/**
 * Golden PASSporT parts as data. Each is titled with the rule it pins down; the base64url strings were
 * produced once from the JSON beside them and are compared byte for byte.
 */
export interface PassportVector {
  title: string;
  x5u: string;
  claims: {
    attest: 'A' | 'B' | 'C';
    dest: { tn?: string[]; uri?: string[] };
    iat: number;
    orig: { tn: string } | { uri: string };
    origid: string;
  };
  headerJson: string;
  headerB64: string;
  payloadJson: string;
  payloadB64: string;
  identityParams: string;
}

export const PASSPORT_VECTORS: PassportVector[] = [
  {
    title: 'RFC 8588 §3-§4 SHAKEN PASSporT with A attestation: header and claims in lexicographic order, no white space (RFC 8225 §9)',
    x5u: 'https://cert.example.org/passport.cer',
    claims: { attest: 'A', dest: { tn: ['12155551213'] }, iat: 1443208345, orig: { tn: '12155551212' }, origid: '123e4567-e89b-12d3-a456-426655440000' },
    headerJson: '{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://cert.example.org/passport.cer"}',
    headerB64: 'eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9',
    payloadJson: '{"attest":"A","dest":{"tn":["12155551213"]},"iat":1443208345,"orig":{"tn":"12155551212"},"origid":"123e4567-e89b-12d3-a456-426655440000"}',
    payloadB64: 'eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxMjE1NTU1MTIxMyJdfSwiaWF0IjoxNDQzMjA4MzQ1LCJvcmlnIjp7InRuIjoiMTIxNTU1NTEyMTIifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjU1NDQwMDAwIn0',
    identityParams: ';info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=shaken',
  },
  {
    title: 'RFC 8225 §5.2.1 orig as uri and dest with several tn plus a uri: tn sorts before uri inside dest',
    x5u: 'https://cert.example.org/passport.cer',
    claims: {
      attest: 'C',
      dest: { tn: ['12155551213', '12155551214'], uri: ['sip:alice@example.com'] },
      iat: 1443208345,
      orig: { uri: 'sip:+12155551212@example.com' },
      origid: '123e4567-e89b-12d3-a456-426655440000',
    },
    headerJson: '{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://cert.example.org/passport.cer"}',
    headerB64: 'eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9',
    payloadJson:
      '{"attest":"C","dest":{"tn":["12155551213","12155551214"],"uri":["sip:alice@example.com"]},"iat":1443208345,"orig":{"uri":"sip:+12155551212@example.com"},"origid":"123e4567-e89b-12d3-a456-426655440000"}',
    payloadB64:
      'eyJhdHRlc3QiOiJDIiwiZGVzdCI6eyJ0biI6WyIxMjE1NTU1MTIxMyIsIjEyMTU1NTUxMjE0Il0sInVyaSI6WyJzaXA6YWxpY2VAZXhhbXBsZS5jb20iXX0sImlhdCI6MTQ0MzIwODM0NSwib3JpZyI6eyJ1cmkiOiJzaXA6KzEyMTU1NTUxMjEyQGV4YW1wbGUuY29tIn0sIm9yaWdpZCI6IjEyM2U0NTY3LWU4OWItMTJkMy1hNDU2LTQyNjY1NTQ0MDAwMCJ9',
    identityParams: ';info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=shaken',
  },
];

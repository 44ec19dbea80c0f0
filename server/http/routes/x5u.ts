import type { FastifyInstance } from 'fastify';
import { ShakenError } from '../../core/errors.js';
import type { CertificatePublisher } from '../../core/certificate-publisher.js';

/** The service hosts its own x5u: `GET /certs/<fingerprint>.pem` returns the PEM chain, leaf first (RFC 8226 §9). */
export function registerX5uRoute(app: FastifyInstance, certificates: CertificatePublisher): void {
  app.get<{ Params: { name: string } }>('/certs/:name', async (request, reply) => {
    const found = /^[0-9a-f]{32}\.pem$/.test(request.params.name)
      ? await certificates.get(`/certs/${request.params.name}`)
      : undefined;
    if (!found) throw new ShakenError('ERR_REQ_NOT_FOUND', 'no certificate is published under this name');
    return reply
      .header('content-type', 'application/pem-certificate-chain')
      .header('cache-control', `public, max-age=${found.maxAgeSec}`)
      .send(found.pem);
  });
}

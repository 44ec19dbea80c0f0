import type { FastifyInstance } from 'fastify';
import { MS_PREFIX, msErrorHandler, requireJsonAnswer } from '../ms-errors.js';
import { MS_OPENAPI } from '../ms-openapi.js';

/** `GET /3gpp/ms/v1/openapi.json`: our OpenAPI description of the Ms resources, beside them (no API key). */
export function registerMsOpenApiRoute(app: FastifyInstance): void {
  app.get(`${MS_PREFIX}openapi.json`, { errorHandler: msErrorHandler, onRequest: requireJsonAnswer }, async () => MS_OPENAPI);
}

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface CpsHttpAnswer {
  status: number;
  text: string;
}

/** Bodies from the CPS are a few PASSporTs; anything longer is cut rather than buffered without bound. */
const MAX_ANSWER_CHARS = 256 * 1024;

/**
 * The out-of-band client's HTTP: node:http(s) on keep-alive agents, not fetch. Measured on the 2-core VM with a
 * trivial 201 server (docs/out-of-band.md, "The publisher's cost"): fetch spent several times the CPU of
 * http.request per publish (its web streams, Request/Response/Headers objects, a transferable AbortSignal per call,
 * and a second socket write for a string body), more than the ES256 signature of the request token.
 */
export class CpsHttp {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(maxSockets: number) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  /** One request; rejects on a socket error or when no full answer came within `timeoutMs`. */
  send(url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; timeoutMs: number }): Promise<CpsHttpAnswer> {
    const secure = url.startsWith('https:');
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, { method: init.method, headers: init.headers, agent: secure ? this.https : this.http }, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ANSWER_CHARS) text += chunk;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', fail);
      });
      function fail(err: Error) {
        clearTimeout(timer);
        reject(err);
      }
      const timer = setTimeout(() => req.destroy(new Error(`no answer from the CPS within ${init.timeoutMs} ms`)), init.timeoutMs);
      req.on('error', fail);
      // end(body) sends the headers and the body in one write.
      req.end(init.body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

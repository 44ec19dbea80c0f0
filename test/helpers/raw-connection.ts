import { connect, type Socket } from 'node:net';

/**
 * A TCP connection a test drives byte by byte (slow clients, idle connections) and watches: what came back, and
 * when and whether the other side closed it.
 */
export class RawConnection {
  received = '';
  closedAt: number | undefined;
  readonly openedAt = Date.now();
  private readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => (this.received += d.toString('latin1')));
    // A reset by the server arrives as ECONNRESET: that is an outcome here, not a failure.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  /**
   * Connects from `localAddress` (any 127.0.0.0/8 address works on loopback, so tests can act as several
   * sources). Resolves once connected or closed: a server that resets a connection at once may do so before the
   * client has seen its handshake complete, and that connection is then simply closed.
   */
  static open(port: number, localAddress = '127.0.0.1'): Promise<RawConnection> {
    const conn = new RawConnection(connect({ port, host: '127.0.0.1', localAddress }));
    return new Promise((resolve) => {
      conn.socket.once('connect', () => resolve(conn));
      void conn.closed.then(() => resolve(conn));
    });
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  write(data: string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Resolves true once the server has closed the connection, false if it is still open after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const open = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closed.then(() => true as const), open]);
    clearTimeout(timer);
    return result;
  }

  /**
   * Sends `bytes` one byte every `intervalMs` until the server closes the connection or the bytes run out;
   * resolves with how long after opening the connection was closed (undefined if it never was).
   */
  async trickle(bytes: string, intervalMs: number): Promise<number | undefined> {
    for (const b of bytes) {
      if (await this.closedWithin(intervalMs)) break;
      this.write(b);
    }
    await this.closedWithin(intervalMs);
    return this.closedAt === undefined ? undefined : this.closedAt - this.openedAt;
  }

  close(): void {
    this.socket.destroy();
  }
}

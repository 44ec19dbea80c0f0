import { isStoreUnavailable } from '../core/errors.js';

export interface OutageLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** What a background store user (a poll, a periodic job) tells its log about failures and recovery. */
export interface OutageLog {
  /** A run failed: logged the first time only, until `ok()`; a timer ticking through an outage logs one line. */
  failed(err: unknown): void;
  /** A run succeeded: after failures, one line saying so. */
  ok(): void;
}

/**
 * One log line when a background task starts failing and one when it works again, instead of one per tick.
 * The store being unavailable is a warning (the task retries by itself); anything else is an error with its
 * stack, since it is a bug the retries will not fix.
 */
export function outageLog(logger: OutageLogger, task: string): OutageLog {
  let failing = false;
  return {
    failed(err) {
      if (failing) return;
      failing = true;
      if (isStoreUnavailable(err)) logger.warn({ task, code: err.code, err: err.cause ?? err }, `${task}: store unavailable; retrying`);
      else logger.error({ task, err }, `${task} failed; retrying`);
    },
    ok() {
      if (!failing) return;
      failing = false;
      logger.info({ task }, `${task}: working again`);
    },
  };
}

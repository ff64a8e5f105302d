import { z } from 'zod';
import { readEnv } from './env';

/**
 * Time limits for every outside call a step makes (AWS SDK and Kubernetes), derived from the
 * Lambda's own timeout. Without them a call that never answers runs the Lambda into its timeout,
 * which Step Functions sees as `Sandbox.Timedout` instead of a named, retried error.
 */

/** Set on every function by the one function construct (stacks/cutover-function.ts). */
export const LAMBDA_TIMEOUT_ENV = 'LAMBDA_TIMEOUT_SECONDS';

export interface CallTimeouts {
  /** How long opening a connection (TCP + TLS) may take. */
  connectionTimeoutMs: number;
  /** How long one request may take, from sending it to the end of the answer. */
  requestTimeoutMs: number;
}

/**
 * The SDK tries a request up to three times (standard retry mode), so one request gets a sixth of
 * the Lambda's timeout: three timed-out tries and their backoff end well before the Lambda does.
 * Between 1 s and 10 s; connecting gets half of that, at most 3 s. Pure.
 */
export function callTimeouts(lambdaTimeoutSeconds: number): CallTimeouts {
  const requestTimeoutMs = Math.min(10_000, Math.max(1_000, Math.floor((lambdaTimeoutSeconds * 1000) / 6)));
  return { connectionTimeoutMs: Math.min(3_000, Math.floor(requestTimeoutMs / 2)), requestTimeoutMs };
}

/**
 * This Lambda's call timeouts, from its timeout in the environment, failing fast. Read each time a
 * client is built (at module load), never cached across modules: in one process that loads several
 * Lambdas' handlers (the drill), each client gets its own Lambda's timeout.
 */
export function lambdaCallTimeouts(): CallTimeouts {
  return callTimeouts(readEnv(z.object({ [LAMBDA_TIMEOUT_ENV]: z.coerce.number().int().min(1).max(900) }))[LAMBDA_TIMEOUT_ENV]);
}

/** The `requestHandler` options an AWS SDK v3 client builds its NodeHttpHandler from. */
export interface TimedRequestHandler {
  connectionTimeout: number;
  requestTimeout: number;
  /** A request that runs past its timeout fails (TimeoutError) instead of only logging a warning. */
  throwOnRequestTimeout: true;
}

/** An AWS SDK v3 client configuration with the given call timeouts. Pure. */
export function withCallTimeouts<T extends object>(timeouts: CallTimeouts, config?: T): T & { requestHandler: TimedRequestHandler } {
  return {
    ...(config ?? ({} as T)),
    requestHandler: { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, throwOnRequestTimeout: true },
  };
}

/**
 * Every step's AWS SDK client configuration: this Lambda's call timeouts. A timed-out request is
 * retried by the SDK, then surfaces as AwsTransientError, which the state machine retries.
 */
export function awsClientConfig<T extends object>(config?: T): T & { requestHandler: TimedRequestHandler } {
  return withCallTimeouts(lambdaCallTimeouts(), config);
}

import type { Clock } from '../shared/clock';
import type { EndpointTarget, StepResult } from '../shared/contracts';
import { EndpointUnhealthyError } from '../shared/errors';

export const STEP_NAME = 'Verify DR endpoint';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface VerifyEndpointDeps {
  fetch: Fetch;
  clock: Clock;
}

export interface VerifyEndpointInput {
  dryRun: boolean;
  target: EndpointTarget;
}

/** `status`/`latencyMs` are null in a dry run, which sends no request. */
export type VerifyEndpointResult = StepResult & { status: number | null; latencyMs: number | null };

function isTimeout(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** A short reason for a network failure: the cause's code (ECONNREFUSED, ENOTFOUND…) when there is one. */
function networkReason(error: unknown): string {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * GETs the DR endpoint once, with a timeout, and checks the status code. Redirects are not
 * followed, so the status is the endpoint's own answer. The response body is never read or reported.
 */
export async function verifyEndpoint(deps: VerifyEndpointDeps, input: VerifyEndpointInput): Promise<VerifyEndpointResult> {
  const { url, expectStatus, timeoutMs } = input.target;
  if (input.dryRun) {
    return {
      step: STEP_NAME,
      outcome: 'would-change',
      changes: [{ resource: url, action: `verify responds ${expectStatus}` }],
      status: null,
      latencyMs: null,
    };
  }

  const signal = AbortSignal.timeout(timeoutMs);
  const started = deps.clock.now().getTime();
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal,
      headers: { 'user-agent': 'dr-cutover/verify-endpoint' },
    });
  } catch (error) {
    if (isTimeout(error, signal)) {
      throw new EndpointUnhealthyError(`GET ${url} did not answer within ${timeoutMs} ms`);
    }
    throw new EndpointUnhealthyError(`GET ${url} failed: ${networkReason(error)}`);
  }
  const latencyMs = deps.clock.now().getTime() - started;
  // Release the connection without reading the body.
  await response.body?.cancel().catch(() => undefined);

  if (response.status !== expectStatus) {
    throw new EndpointUnhealthyError(`GET ${url} answered ${response.status}, expected ${expectStatus}`);
  }
  return { step: STEP_NAME, outcome: 'verified', changes: [], status: response.status, latencyMs };
}

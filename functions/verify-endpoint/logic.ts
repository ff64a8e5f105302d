import type { Clock } from '../shared/clock';
import type { EndpointTarget, RegionSignal, StepResult } from '../shared/contracts';
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

/** `status`/`latencyMs`/`servedRegion` are null in a dry run, which sends no request. */
export type VerifyEndpointResult = StepResult & { status: number | null; latencyMs: number | null; servedRegion: string | null };

/** A JSON body larger than this is not parsed for the Region field. */
const MAX_BODY_BYTES = 64 * 1024;

export function describeSignal(signal: RegionSignal): string {
  return signal.type === 'header' ? `response header ${signal.name}` : `JSON body field ${signal.path}`;
}

/** The value at a dot path of a parsed JSON body, if it is a string. */
export function fieldAt(body: unknown, path: string): string | undefined {
  let node: unknown = body;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * The Region the response says served it. Header: its value. Body field: the body is read (at most
 * 64 KiB) and parsed as JSON; only the field's value is kept, never the body. Otherwise the body is
 * released unread. Undefined when the signal is absent.
 */
async function servedRegionOf(response: Response, signal: RegionSignal): Promise<string | undefined> {
  if (signal.type === 'header') {
    await response.body?.cancel().catch(() => undefined);
    return response.headers.get(signal.name)?.trim() || undefined;
  }
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const text = await response.text().catch(() => '');
  if (text.length > MAX_BODY_BYTES) return undefined;
  try {
    return fieldAt(JSON.parse(text), signal.path)?.trim() || undefined;
  } catch {
    return undefined;
  }
}

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
 * GETs the public endpoint once, with a timeout, and checks that the standby Region answered it:
 * the status code, and the Region the answer names (the configured header or JSON body field).
 * A 200 alone proves nothing: resolvers keep the old DNS answer for the record's TTL, and in
 * planned mode the primary still answers 200. Redirects are not followed, so the status is the
 * endpoint's own answer. The response body is never reported.
 */
export async function verifyEndpoint(deps: VerifyEndpointDeps, input: VerifyEndpointInput): Promise<VerifyEndpointResult> {
  const { url, expectStatus, timeoutMs, expectRegion, regionSignal } = input.target;
  const signal = describeSignal(regionSignal);
  if (input.dryRun) {
    return {
      step: STEP_NAME,
      outcome: 'would-change',
      changes: [{ resource: url, action: `verify responds ${expectStatus} from ${expectRegion} (${signal})` }],
      status: null,
      latencyMs: null,
      servedRegion: null,
    };
  }

  const abort = AbortSignal.timeout(timeoutMs);
  const started = deps.clock.now().getTime();
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal: abort,
      headers: { 'user-agent': 'dr-cutover/verify-endpoint', 'cache-control': 'no-cache' },
    });
  } catch (error) {
    if (isTimeout(error, abort)) {
      throw new EndpointUnhealthyError(`GET ${url} did not answer within ${timeoutMs} ms`);
    }
    throw new EndpointUnhealthyError(`GET ${url} failed: ${networkReason(error)}`);
  }
  const latencyMs = deps.clock.now().getTime() - started;
  const servedRegion = await servedRegionOf(response, regionSignal);
  const from = servedRegion === undefined ? '' : ` from ${servedRegion}`;

  if (response.status !== expectStatus) {
    throw new EndpointUnhealthyError(`GET ${url} answered ${response.status}${from}, expected ${expectStatus}`);
  }
  if (servedRegion === undefined) {
    throw new EndpointUnhealthyError(
      `GET ${url} answered ${response.status} without the ${signal} that names the serving Region, so it is not known ` +
        `that ${expectRegion} served it. Make the application set it, or change endpoint.regionSignal in the config`,
    );
  }
  if (servedRegion !== expectRegion) {
    throw new EndpointUnhealthyError(
      `GET ${url} answered ${response.status} from ${servedRegion} (${signal}), not from the standby Region ${expectRegion}: ` +
        'DNS resolvers may still hold the old answer for the record\'s TTL',
    );
  }
  return { step: STEP_NAME, outcome: 'verified', changes: [], status: response.status, latencyMs, servedRegion };
}

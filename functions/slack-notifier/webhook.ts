import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import { CutoverError } from '../shared/errors';
import { SecretValueError } from '../shared/secrets';

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;
export type Sleep = (ms: number) => Promise<void>;

/** The subset of the Powertools logger the notifier uses (tests capture it). */
export interface NotifierLog {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface WebhookPayload {
  text: string;
  blocks?: KnownBlock[];
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Each attempt is aborted after this long. */
  attemptTimeoutMs: number;
  /** All attempts and waits of one message fit in this budget (keep the Lambda timeout above it). */
  budgetMs: number;
  /** Backoff before retry n is base × 2^(n-1). */
  baseDelayMs: number;
  /** A longer Retry-After is cut to this; SNS/Lambda async retries take over after the last attempt. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 5_000,
  budgetMs: 15_000,
  baseDelayMs: 500,
  maxRetryAfterMs: 5_000,
};

export interface PostDeps {
  fetch: Fetch;
  sleep: Sleep;
  /** Epoch milliseconds; only differences matter, except for an HTTP-date Retry-After. */
  now: () => number;
  log: NotifierLog;
}

/**
 * Slack did not take a message. Thrown after the last attempt so SNS/Lambda's async retry can try later.
 * It never affects the cutover: the state machine publishes to SNS and never waits for Slack.
 * The message and fields name the status and reason only, never the webhook URL.
 */
export class SlackDeliveryError extends CutoverError {
  constructor(
    message: string,
    readonly status: number | null,
    readonly attempts: number,
    /** False for a 4xx other than 429: the same payload will be refused again. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The secret value is the webhook URL itself, or JSON `{"url": "..."}`. The value never appears in an error. */
export function webhookUrlFromSecret(secretValue: string, secretId: string): string {
  let candidate = secretValue.trim();
  if (candidate.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(candidate);
    } catch {
      throw new SecretValueError(`Secret ${secretId} looks like JSON but does not parse`);
    }
    const shape = z.object({ url: z.string() }).safeParse(parsed);
    if (!shape.success) throw new SecretValueError(`Secret ${secretId} is JSON without a string "url" key`);
    candidate = shape.data.url.trim();
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new SecretValueError(`Secret ${secretId} is neither a webhook URL nor {"url": "..."}`);
  }
  if (url.protocol !== 'https:' || !url.hostname) throw new SecretValueError(`Secret ${secretId} does not hold an https webhook URL`);
  return url.toString();
}

/** Only the host of the webhook is ever logged. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'webhook';
  }
}

/** Removes the webhook URL (and its secret path) from a text that came back from the network. */
export function redact(text: string, url: string): string {
  let out = text.split(url).join('[webhook]');
  try {
    const { pathname } = new URL(url);
    if (pathname.length > 1) out = out.split(pathname).join('[webhook]');
  } catch {
    // not a URL: nothing more to remove
  }
  return out;
}

/** Retry-After in ms (delta seconds or an HTTP date), capped; null when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number, capMs: number): number | null {
  if (header === null) return null;
  const value = header.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return null;
    ms = date - nowMs;
  }
  return Math.min(Math.max(0, Math.round(ms)), capMs);
}

/** Slack answers errors with short codes (invalid_blocks, no_service…): keep a short, redacted, single-line excerpt. */
async function errorDetail(response: Response, url: string): Promise<string> {
  try {
    const body = await response.text();
    return redact(body, url).replace(/\s+/g, ' ').trim().slice(0, 100);
  } catch {
    return '';
  }
}

function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
  // The error's own message may quote the URL: report the error's name only.
  return error instanceof Error ? error.name : 'network error';
}

type Attempt = { ok: true; status: number } | { ok: false; status: number | null; reason: string; retryable: boolean; retryAfterMs: number | null };

async function attemptPost(deps: PostDeps, url: string, body: string, timeoutMs: number, policy: RetryPolicy): Promise<Attempt> {
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, status: null, reason: networkReason(error, timeoutMs), retryable: true, retryAfterMs: null };
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: true, status: response.status };
  }
  const detail = await errorDetail(response, url);
  const reason = `HTTP ${response.status}${detail ? ` ${detail}` : ''}`;
  if (response.status === 429) {
    return { ok: false, status: 429, reason, retryable: true, retryAfterMs: retryAfterMs(response.headers.get('retry-after'), deps.now(), policy.maxRetryAfterMs) };
  }
  return { ok: false, status: response.status, reason, retryable: response.status >= 500, retryAfterMs: null };
}

/**
 * POSTs one message to the incoming webhook. Retries 429 (honouring Retry-After, capped) and
 * 5xx/network errors/timeouts with exponential backoff, at most `maxAttempts` within `budgetMs`.
 * A 4xx other than 429 is not retried. Throws SlackDeliveryError when Slack did not take the message.
 */
export async function postToSlack(
  deps: PostDeps,
  url: string,
  payload: WebhookPayload,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<{ status: number; attempts: number }> {
  const host = webhookHost(url);
  const body = JSON.stringify(payload);
  const started = deps.now();
  for (let attempt = 1; ; attempt += 1) {
    const remaining = policy.budgetMs - (deps.now() - started);
    const timeoutMs = Math.max(1, Math.min(policy.attemptTimeoutMs, remaining));
    const result = await attemptPost(deps, url, body, timeoutMs, policy);
    if (result.ok) return { status: result.status, attempts: attempt };

    const delayMs = result.retryAfterMs ?? policy.baseDelayMs * 2 ** (attempt - 1);
    const elapsed = deps.now() - started;
    const outOfBudget = elapsed + delayMs >= policy.budgetMs;
    if (!result.retryable || attempt >= policy.maxAttempts || outOfBudget) {
      const why = !result.retryable ? 'not retryable' : attempt >= policy.maxAttempts ? 'attempts exhausted' : 'time budget exhausted';
      deps.log.warn('Slack did not take the message', { host, attempts: attempt, status: result.status, reason: result.reason, gaveUp: why });
      throw new SlackDeliveryError(`Slack webhook (${host}) refused the message after ${attempt} attempt${attempt === 1 ? '' : 's'} (${why}): ${result.reason}`, result.status, attempt, result.retryable);
    }
    deps.log.warn('Slack post failed; retrying', { host, attempt, status: result.status, reason: result.reason, delayMs });
    await deps.sleep(delayMs);
  }
}

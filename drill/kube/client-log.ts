import diagnostics from 'node:diagnostics_channel';
import { currentInvocation } from '../invocation';

/**
 * Kubernetes API requests as their callers sent them, attributed to the invocation that sent each.
 *
 * The stand-in is a real HTTPS server, so its request handler runs in the server's async context,
 * not the caller's: it cannot tell which step sent a request. The caller side can. The product's
 * @kubernetes/client-node sends every request through undici's fetch, and undici publishes each
 * request it creates on the `undici:request:create` diagnostics channel (undici docs, "Diagnostics
 * Channel": request:create, request:headers, request:error) from the dispatch the caller's fetch
 * started. Node calls a channel's subscribers synchronously in `publish` (Node.js docs,
 * diagnostics_channel), so the subscriber runs in the caller's async context and sees its
 * invocation. The same request object (undici's public view of it) comes with the later `headers`
 * (the status) and `error` messages, which arrive from the socket. Only requests to the stand-in's
 * origin are recorded.
 */

export interface KubernetesRequestRecord {
  executionId: string | null;
  state: string | null;
  /** The sending Lambda's functions/ folder; null for a request made outside any Lambda (a test). */
  step: string | null;
  method: string;
  /** Path without the query string. */
  path: string;
  /** The HTTP status; null until (or unless) a response arrives. */
  status: number | null;
  /** Why no response arrived (the error's name and message); null otherwise. */
  error: string | null;
  /** Simulated ms at which it was sent. */
  at: number;
}

/** undici's request as its diagnostics messages carry it (undici docs, "Diagnostics Channel"). */
interface UndiciRequest {
  origin?: unknown;
  method?: unknown;
  path?: unknown;
}

const CREATE = 'undici:request:create';
const HEADERS = 'undici:request:headers';
const ERROR = 'undici:request:error';

export class KubernetesRequestLog {
  readonly requests: KubernetesRequestRecord[] = [];
  private readonly pending = new WeakMap<object, KubernetesRequestRecord>();
  private readonly origin: string;
  private started = false;

  private readonly onCreate = (message: unknown): void => {
    const request = requestOf(message);
    if (!request || originOf(request.origin) !== this.origin) return;
    const invocation = currentInvocation();
    const record: KubernetesRequestRecord = {
      executionId: invocation?.executionId ?? null,
      state: invocation?.state ?? null,
      step: invocation?.step ?? null,
      method: typeof request.method === 'string' ? request.method.toUpperCase() : 'GET',
      path: typeof request.path === 'string' ? (request.path.split('?')[0] ?? '/') : '/',
      status: null,
      error: null,
      at: this.now(),
    };
    this.requests.push(record);
    this.pending.set(request, record);
  };

  private readonly onHeaders = (message: unknown): void => {
    const record = this.recordOf(message);
    const statusCode = (message as { response?: { statusCode?: unknown } }).response?.statusCode;
    if (record && typeof statusCode === 'number') record.status = statusCode;
  };

  private readonly onError = (message: unknown): void => {
    const record = this.recordOf(message);
    const error = (message as { error?: unknown }).error;
    if (record && record.status === null) record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  };

  constructor(
    endpoint: string,
    private readonly now: () => number = Date.now,
  ) {
    this.origin = new URL(endpoint).origin;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    diagnostics.subscribe(CREATE, this.onCreate);
    diagnostics.subscribe(HEADERS, this.onHeaders);
    diagnostics.subscribe(ERROR, this.onError);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    diagnostics.unsubscribe(CREATE, this.onCreate);
    diagnostics.unsubscribe(HEADERS, this.onHeaders);
    diagnostics.unsubscribe(ERROR, this.onError);
  }

  private recordOf(message: unknown): KubernetesRequestRecord | undefined {
    const request = requestOf(message);
    return request ? this.pending.get(request) : undefined;
  }
}

function requestOf(message: unknown): (UndiciRequest & object) | undefined {
  const request = (message as { request?: unknown } | null)?.request;
  return typeof request === 'object' && request !== null ? request : undefined;
}

function originOf(origin: unknown): string | undefined {
  try {
    return new URL(String(origin)).origin;
  } catch {
    return undefined;
  }
}

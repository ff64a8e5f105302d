import { mockClient } from 'aws-sdk-client-mock';
import { currentInvocation } from '../invocation';
import { UnattributedCallError, type CallAuthorizer } from './authorization';
import type { AwsCall } from './faults';
import type { SimulatedWorld } from './simulated-world';

/**
 * The single point every AWS command passes through on its way to the world's answer: it is
 * recorded, `beforeCall` sees it, a scheduled fault may answer it instead, and the endpoint's DNS
 * answer is re-read after the world changes. Authorization and per-call attribution belong here.
 */

/** What is known about one call when it is answered. Who made it (role, step) is added here. */
export interface CallContext {
  /** The SDK command's class name, e.g. `PromoteReadReplicaCommand`. */
  command: string;
  /** The Region of the client that sent it. */
  region: string;
  /** The IAM service prefix of the client that sent it, e.g. `rds` (see SERVICE_PREFIXES). */
  service?: string;
  /** How many times the client's SDK retry strategy sends a call that failed transiently (its `maxAttempts`; default 3). */
  maxAttempts?: number;
}

/** A command's answer, without the response metadata the SDK adds. */
export type Answer<O> = Omit<O, '$metadata'>;

/** A command handler, typed by the SDK's `*CommandInput` and `*CommandOutput` (async where a real service answers). */
export type Handler<I, O> = (input: I, context: CallContext) => Answer<O> | Promise<Answer<O>>;

/** Answers one AWS command: record, beforeCall, IAM, faults, the world's handler, then the DNS answer. */
export async function handle<I>(world: SimulatedWorld, context: CallContext, input: I, answer: (input: I, context: CallContext) => unknown, attempt = 1): Promise<unknown> {
  const invocation = currentInvocation();
  const call: AwsCall = {
    command: context.command,
    input: structuredClone(input),
    region: context.region,
    service: context.service ?? 'unknown',
    executionId: invocation?.executionId ?? null,
    state: invocation?.state ?? null,
    step: invocation?.step ?? null,
    at: world.now(),
    outcome: 'no-answer',
    error: null,
  };
  world.calls.push(call);
  try {
    world.beforeCall?.(context.command, input);
    if (world.authorizer) await authorizeCall(world, world.authorizer, call, input);
    const proceed = () => {
      const output = answer(input, context);
      world.noteDnsAnswer();
      return output;
    };
    const fault = world.faults.take(context.command);
    if (fault?.lost) {
      try {
        await proceed();
      } catch {
        // The world refused the call: that answer is lost with the connection too.
      }
      answered(call, connectionReset(attempt));
      return await resend(world, context, input, answer, attempt);
    }
    const output = await (fault ? fault.answer(input, proceed) : proceed());
    answered(call);
    return output;
  } catch (error) {
    answered(call, error);
    throw error;
  }
}

/** What the caller sees when the connection drops after the request was sent. */
function connectionReset(attempts: number): Error {
  return Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: { attempts } });
}

/**
 * After a lost response: the SDK's standard retry strategy treats ECONNRESET as transient
 * (@smithy/service-error-classification NODEJS_TIMEOUT_ERROR_CODES) and sends the same request
 * again, up to the client's maxAttempts; the resend is answered as any call is. Only when every
 * attempt is lost does the caller see the network error. The SDK's retry middleware stamps the
 * error it finally throws with how many attempts were made.
 */
async function resend<I>(world: SimulatedWorld, context: CallContext, input: I, answer: (input: I, context: CallContext) => unknown, attempt: number): Promise<unknown> {
  if (attempt >= (context.maxAttempts ?? 3)) throw connectionReset(attempt);
  try {
    return await handle(world, context, input, answer, attempt + 1);
  } catch (error) {
    if (typeof error === 'object' && error !== null) {
      const e = error as { $metadata?: { attempts?: number } };
      e.$metadata = { ...e.$metadata, attempts: e.$metadata?.attempts ?? attempt + 1 };
    }
    throw error;
  }
}

/** Records how a call was answered; a call IAM refused stays `denied` (or `unattributed`). */
function answered(call: AwsCall, error?: unknown): void {
  if (call.outcome === 'denied' || call.outcome === 'unattributed') return;
  call.outcome = error === undefined ? 'ok' : 'error';
  call.error = error === undefined ? null : errorName(error);
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'Error';
}

/**
 * The IAM service prefix (Service Authorization Reference) of each stubbed SDK client, by class name:
 * what a call's `service` reads, as in its IAM action (`rds:PromoteReadReplica`).
 */
const SERVICE_PREFIXES: Record<string, string> = {
  ACMClient: 'acm',
  CloudFrontClient: 'cloudfront',
  CloudWatchClient: 'cloudwatch',
  CognitoIdentityProviderClient: 'cognito-idp',
  DynamoDBClient: 'dynamodb',
  EKSClient: 'eks',
  IAMClient: 'iam',
  RDSClient: 'rds',
  Route53Client: 'route53',
  SecretsManagerClient: 'secretsmanager',
  SFNClient: 'states',
  SNSClient: 'sns',
};

function serviceOf(client: unknown): string {
  const name = typeof client === 'function' ? client.name : '';
  return SERVICE_PREFIXES[name] ?? name.replace(/Client$/, '').toLowerCase();
}

/**
 * IAM in front of the world's answer: a refused call is recorded as denied and throws the error the
 * service answers a denial with; a call no invocation sent is recorded as unattributed and throws.
 */
async function authorizeCall(world: SimulatedWorld, authorizer: CallAuthorizer, record: AwsCall, input: unknown): Promise<void> {
  let result;
  try {
    result = await authorizer.authorize({ command: record.command, input, region: record.region });
  } catch (error) {
    if (error instanceof UnattributedCallError) Object.assign(record, { outcome: 'unattributed', error: error.name });
    throw error;
  }
  if (result.allowed) return;
  Object.assign(record, { outcome: 'denied', error: result.error.name, action: result.denial.action, resource: result.denial.resource });
  world.iamDenials.push(result.denial);
  throw result.error;
}

/** Registers a handler for a command of one stubbed SDK client. */
export type Register = <I, O>(command: { name: string }, answer: Handler<I, O>) => void;

/**
 * Stubs an SDK client class at the command level (aws-sdk-client-mock) and returns how to register
 * its command handlers; every registered command is answered through `handle`.
 */
export function stubClient(world: SimulatedWorld, client: unknown): Register {
  const stub = mockClient(client as never);
  world.stubs.push(stub);
  const service = serviceOf(client);
  return <I, O>(command: { name: string }, answer: Handler<I, O>) => {
    const name = command.name;
    world.commands.add(name);
    stub.on(command as never).callsFake(async (input: I, getClient: () => { config: unknown }) => {
      const config = getClient().config as { region?: unknown; maxAttempts?: unknown };
      // IAM is global: its client may have no Region and signs for us-east-1 (IAM API reference, "Making Query requests").
      const region = typeof config.region === 'function' ? String(await (config.region as () => Promise<string>)()) : typeof config.region === 'string' ? config.region : 'us-east-1';
      const maxAttempts = typeof config.maxAttempts === 'function' ? Number(await (config.maxAttempts as () => Promise<number>)()) : undefined;
      return handle(world, { command: name, region, service, ...(maxAttempts === undefined ? {} : { maxAttempts }) }, input, answer);
    });
  };
}

import { mockClient } from 'aws-sdk-client-mock';
import { currentInvocation } from '../invocation';
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
}

/** A command's answer, without the response metadata the SDK adds. */
export type Answer<O> = Omit<O, '$metadata'>;

/** A command handler, typed by the SDK's `*CommandInput` and `*CommandOutput`. */
export type Handler<I, O> = (input: I, context: CallContext) => Answer<O>;

/** Answers one AWS command: record, beforeCall, faults, the world's handler, then the DNS answer. */
export function handle<I>(world: SimulatedWorld, context: CallContext, input: I, answer: (input: I, context: CallContext) => unknown): unknown {
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
    const fault = world.faults.take(context.command);
    if (fault) return settled(call, fault.answer(input));
    const output = answer(input, context);
    world.noteDnsAnswer();
    return settled(call, output);
  } catch (error) {
    answered(call, error);
    throw error;
  }
}

/** Records how a call was answered; a call IAM refused stays `denied`. */
function answered(call: AwsCall, error?: unknown): void {
  if (call.outcome === 'denied') return;
  call.outcome = error === undefined ? 'ok' : 'error';
  call.error = error === undefined ? null : errorName(error);
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'Error';
}

/** The answer, with the call's outcome recorded when it settles (an answer may be a promise, e.g. a hung call). */
function settled(call: AwsCall, output: unknown): unknown {
  if (output instanceof Promise) {
    return output.then(
      (value: unknown) => {
        answered(call);
        return value;
      },
      (error: unknown) => {
        answered(call, error);
        throw error;
      },
    );
  }
  answered(call);
  return output;
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
    stub.on(command as never).callsFake(async (input: I, getClient: () => { config: unknown }) => {
      const region = await (getClient().config as { region: () => Promise<string> }).region();
      return handle(world, { command: name, region, service }, input, answer);
    });
  };
}

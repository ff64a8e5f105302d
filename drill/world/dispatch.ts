import { mockClient } from 'aws-sdk-client-mock';
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
  /** How many times the client's SDK retry strategy sends a call that failed transiently (its `maxAttempts`; default 3). */
  maxAttempts?: number;
}

/** A command's answer, without the response metadata the SDK adds. */
export type Answer<O> = Omit<O, '$metadata'>;

/** A command handler, typed by the SDK's `*CommandInput` and `*CommandOutput`. */
export type Handler<I, O> = (input: I, context: CallContext) => Answer<O>;

/** Answers one AWS command: record, beforeCall, faults, the world's handler, then the DNS answer. */
export function handle<I>(world: SimulatedWorld, context: CallContext, input: I, answer: (input: I, context: CallContext) => unknown, attempt = 1): unknown {
  world.calls.push({ command: context.command, input: structuredClone(input), region: context.region });
  world.beforeCall?.(context.command, input);
  const proceed = () => {
    const output = answer(input, context);
    world.noteDnsAnswer();
    return output;
  };
  const fault = world.faults.take(context.command);
  if (fault?.lost) return lostResponse(world, context, input, answer, attempt, proceed);
  if (fault) return fault.answer(input, proceed);
  return proceed();
}

/**
 * A lost response: the world applies the call (whatever it answers is lost with the connection),
 * and the caller's connection is reset. The SDK's standard retry strategy treats ECONNRESET as
 * transient (@smithy/service-error-classification NODEJS_TIMEOUT_ERROR_CODES) and sends the same
 * request again, up to the client's maxAttempts: that resend is answered by the world as any call
 * is. Only when every attempt is lost does the caller see the network error.
 */
function lostResponse<I>(world: SimulatedWorld, context: CallContext, input: I, answer: (input: I, context: CallContext) => unknown, attempt: number, proceed: () => unknown): unknown {
  try {
    proceed();
  } catch {
    // The world refused the call: that answer is lost too.
  }
  if (attempt < (context.maxAttempts ?? 3)) {
    // The SDK's retry middleware stamps the error it finally throws with how many attempts were made.
    const stamp = (error: unknown) => {
      if (typeof error === 'object' && error !== null) {
        const e = error as { $metadata?: { attempts?: number } };
        e.$metadata = { ...e.$metadata, attempts: e.$metadata?.attempts ?? attempt + 1 };
      }
      throw error;
    };
    try {
      const output = handle(world, context, input, answer, attempt + 1);
      return output instanceof Promise ? output.catch(stamp) : output;
    } catch (error) {
      return stamp(error);
    }
  }
  throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: { attempts: attempt } });
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
  return <I, O>(command: { name: string }, answer: Handler<I, O>) => {
    const name = command.name;
    stub.on(command as never).callsFake(async (input: I, getClient: () => { config: unknown }) => {
      const config = getClient().config as { region: () => Promise<string>; maxAttempts?: () => Promise<number> };
      const region = await config.region();
      const maxAttempts = typeof config.maxAttempts === 'function' ? await config.maxAttempts() : undefined;
      return handle(world, { command: name, region, ...(maxAttempts === undefined ? {} : { maxAttempts }) }, input, answer);
    });
  };
}

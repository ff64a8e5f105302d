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
}

/** A command's answer, without the response metadata the SDK adds. */
export type Answer<O> = Omit<O, '$metadata'>;

/** A command handler, typed by the SDK's `*CommandInput` and `*CommandOutput` (async where a real service answers). */
export type Handler<I, O> = (input: I, context: CallContext) => Answer<O> | Promise<Answer<O>>;

/** Answers one AWS command: record, beforeCall, faults, the world's handler, then the DNS answer. */
export function handle<I>(world: SimulatedWorld, context: CallContext, input: I, answer: (input: I, context: CallContext) => unknown): unknown {
  world.calls.push({ command: context.command, input: structuredClone(input), region: context.region });
  world.beforeCall?.(context.command, input);
  const fault = world.faults.take(context.command);
  if (fault) return fault.answer(input);
  const output = answer(input, context);
  world.noteDnsAnswer();
  return output;
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
      const region = await (getClient().config as { region: () => Promise<string> }).region();
      return handle(world, { command: name, region }, input, answer);
    });
  };
}

import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The Lambda invocation a piece of work belongs to: which execution, which state and step, and which
 * function (so which IAM role) is calling. The drill runs every handler in one process, so the world
 * learns who sent a call from here, as AWS learns it from the caller's credentials.
 */
export interface Invocation {
  /** The execution ARN; null for work no execution started (the Slack notifier, the approval callback). */
  executionId: string | null;
  /** The Task state that invoked the function; null outside an execution. */
  state: string | null;
  /** The functions/ folder of the handler, e.g. `promote-replica` or `slack-notifier`. */
  step: string;
  /** The deployed function's name as the drill names it (`dr-cutover-<step>`). */
  functionName: string;
}

const storage = new AsyncLocalStorage<Invocation>();

/** Runs `work` as part of `invocation`: every call it makes, awaited or not, is attributed to it. */
export function withinInvocation<T>(invocation: Invocation, work: () => T): T {
  return storage.run(invocation, work);
}

/** The invocation the current work belongs to, if any. */
export function currentInvocation(): Invocation | undefined {
  return storage.getStore();
}

import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { withGlobal, type Clock } from '@sinonjs/fake-timers';

/** One piece of held work (a handler invocation); idle while it waits on something only time can end. */
interface Lease {
  idle: number;
}

const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const yieldToEventLoop = () => new Promise<void>((resolve) => realSetImmediate(resolve));
const realPause = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

/**
 * A fake timer's callback runs when the clock is advanced, in the async context of whoever advances
 * it (the drill's driver), not of whoever set it. On AWS a Lambda's timer callback runs in that
 * Lambda: each callback is bound to the context that set the timer (its invocation, its
 * environment, its clock lease), so the work it does is still attributed to that invocation.
 * fake-timers' uninstall puts the real timers back over these wrappers.
 */
function bindTimerCallbacks(): void {
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const fake = globalThis[name] as (callback: unknown, ms?: number, ...args: unknown[]) => unknown;
    const bound = (callback: unknown, ms?: number, ...args: unknown[]) =>
      fake(typeof callback === 'function' ? AsyncResource.bind(callback as (...a: unknown[]) => unknown) : callback, ms, ...args);
    Object.defineProperties(bound, Object.getOwnPropertyDescriptors(fake));
    globalThis[name] = bound as never;
  }
}

/**
 * Simulated time for the drill: Date and timers are faked, so Wait states, Retry pauses
 * and the world's modelled delays take simulated time while the drill runs in seconds.
 *
 * Time only moves when the execution is idle: no step handler is running (handlers do real
 * I/O, such as HTTPS to the Kubernetes stand-in) and nothing is left but timers. Then the
 * earliest timer fires. Parallel branches wait on the same clock, so they overlap in
 * simulated time as they would on AWS.
 */
export class SimClock {
  private clock: Clock | undefined;
  private readonly leases = new Set<Lease>();
  private readonly current = new AsyncLocalStorage<Lease>();

  constructor(readonly start: Date) {}

  install(): void {
    this.clock = withGlobal(globalThis).install({
      now: this.start,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
      // A connection set up before the clock (the local DynamoDB's keep-alive sockets) clears its native timers itself.
      shouldClearNativeTimers: true,
    });
    bindTimerCallbacks();
  }

  uninstall(): void {
    this.clock?.uninstall();
    this.clock = undefined;
  }

  /** Simulated milliseconds since the drill started. */
  elapsedMs(): number {
    return Date.now() - this.start.getTime();
  }

  /**
   * Runs real work (a step handler) during which simulated time must stand still. The work may
   * be abandoned (a Lambda that ran past its timeout): time stands still only until `hold` returns.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    const lease: Lease = { idle: 0 };
    this.leases.add(lease);
    try {
      return await this.current.run(lease, work);
    } finally {
      this.leases.delete(lease);
    }
  }

  /**
   * Held work that waits on something only simulated time can end (a call that never answers,
   * ended by the Lambda's timeout): time may move while it waits.
   */
  async idle<T>(pending: Promise<T>): Promise<T> {
    const lease = this.current.getStore();
    if (!lease) return pending;
    lease.idle += 1;
    try {
      return await pending;
    } finally {
      lease.idle -= 1;
    }
  }

  /** Held work that is running (not idle). */
  private get busy(): number {
    let busy = 0;
    for (const lease of this.leases) if (lease.idle === 0) busy += 1;
    return busy;
  }

  /** Advances simulated time, one timer at a time, whenever the execution is idle, until `until` settles. */
  async drive(until: Promise<unknown>): Promise<void> {
    const clock = this.clock;
    if (!clock) throw new Error('SimClock is not installed');
    let settled = false;
    const done = until.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      await yieldToEventLoop();
      if (settled) break;
      if (this.busy > 0) {
        await realPause(1);
        continue;
      }
      // Idle twice in a row (no handler, microtasks drained): only a timer can move things on.
      await yieldToEventLoop();
      if (settled || this.busy > 0) continue;
      if (clock.countTimers() > 0) clock.next();
      else await realPause(1);
    }
    await done;
  }
}

import { AsyncLocalStorage } from 'node:async_hooks';
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

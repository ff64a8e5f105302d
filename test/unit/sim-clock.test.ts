import { currentInvocation, withinInvocation, type Invocation } from '../../drill/invocation';
import { SimClock } from '../../drill/sim-clock';

/**
 * A fake timer's callback is run by whoever advances the clock. On AWS a Lambda's timer callback runs
 * in that Lambda: the drill binds each callback to the context that set it, so the calls it makes
 * are still attributed to the invocation (and IAM role) that scheduled it.
 */
const invocation: Invocation = { executionId: 'exec-1', state: 'Promote RDS replica', step: 'promote-replica', functionName: 'dr-cutover-promote-replica' };

describe('SimClock timers', () => {
  let clock: SimClock;
  beforeEach(() => {
    clock = new SimClock(new Date('2026-01-01T00:00:00.000Z'));
    clock.install();
  });
  afterEach(() => clock.uninstall());

  it('runs a setTimeout callback in the invocation that set it, not in the one driving the clock', async () => {
    const seen: Array<Invocation | undefined> = [];
    const fired = withinInvocation(invocation, () => new Promise<void>((resolve) => setTimeout(() => {
      seen.push(currentInvocation());
      resolve();
    }, 5_000)));
    await clock.drive(fired);
    expect(seen).toEqual([invocation]);
  });

  it('runs each setInterval tick in the invocation that set it', async () => {
    const seen: Array<string | undefined> = [];
    const ticked = withinInvocation(invocation, () => new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        seen.push(currentInvocation()?.step);
        if (seen.length === 3) {
          clearInterval(timer);
          resolve();
        }
      }, 1_000);
    }));
    await clock.drive(ticked);
    expect(seen).toEqual(['promote-replica', 'promote-replica', 'promote-replica']);
  });

  it('keeps the context of an await continuation after a timed wait', async () => {
    const after = withinInvocation(invocation, async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return currentInvocation();
    });
    await clock.drive(after);
    await expect(after).resolves.toEqual(invocation);
  });
});

it('gives the real timers back when uninstalled', () => {
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  const clock = new SimClock(new Date('2026-01-01T00:00:00.000Z'));
  clock.install();
  expect(globalThis.setTimeout).not.toBe(realSetTimeout);
  clock.uninstall();
  expect(globalThis.setTimeout).toBe(realSetTimeout);
  expect(globalThis.setInterval).toBe(realSetInterval);
});

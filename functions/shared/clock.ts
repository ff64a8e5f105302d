/**
 * The steps' only source of time. The local drill swaps it for a simulated clock,
 * so timings and RTO come out in simulated time there.
 */
export interface Clock {
  now(): Date;
}

const systemClock: Clock = { now: () => new Date() };
let current: Clock = systemClock;

export const clock: Clock = { now: () => current.now() };

export function setClock(next: Clock | undefined): void {
  current = next ?? systemClock;
}

import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { clock, errorLine, formatDuration } from './format';

/**
 * Turns execution history events into one readable line per state entered/exited,
 * per failure and per retry:
 *
 *   03:00:01  ▶ Preflight
 *   03:00:02  ✓ Preflight (1.2 s)
 *   03:00:05  ✗ Promote RDS replica: ReplicaBackingUpError — replica is backing up
 *   03:01:05  ↻ retry Promote RDS replica (attempt 2)
 *   03:01:06  → Dry run? (RDS promotion)
 *
 * Task, Parallel, Map and Wait states get a ▶ line and a ✓/✗ line with their duration;
 * Pass and Choice states, which take no time, get one → line when they pass control on.
 * It reads only event types, names, timestamps and error names/causes, never state
 * input or output (the watcher asks for history without execution data).
 */

const TIMED_KINDS = new Set(['Task', 'Parallel', 'Map', 'Wait']);

/** A failed attempt of a task (Lambda or service integration). */
const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
  'EvaluationFailed',
]);
const TASK_ATTEMPTS = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const TASK_SUCCESSES = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);

interface Entry {
  name: string;
  kind: string;
  enteredAt: Date | undefined;
  attempts: number;
  failed: boolean;
}

interface ErrorDetails {
  error?: string | undefined;
  cause?: string | undefined;
}

function failureDetails(e: HistoryEvent): ErrorDetails {
  return (
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails ??
    e.lambdaFunctionFailedEventDetails ??
    e.lambdaFunctionTimedOutEventDetails ??
    e.lambdaFunctionStartFailedEventDetails ??
    e.lambdaFunctionScheduleFailedEventDetails ??
    e.activityFailedEventDetails ??
    e.activityTimedOutEventDetails ??
    e.activityScheduleFailedEventDetails ??
    e.evaluationFailedEventDetails ??
    {}
  );
}

/** `TaskStateEntered` → `Task`, `MapStateExited` → `Map`, … */
function stateKind(type: string, suffix: string): string | undefined {
  return type.endsWith(suffix) ? type.slice(0, -suffix.length) : undefined;
}

export class HistoryPrinter {
  /** event id → the id of the StateEntered event whose state it belongs to */
  private readonly owners = new Map<number, number>();
  private readonly entries = new Map<number, Entry>();
  /** state name → entered ids not yet exited (Map iterations enter the same state many times) */
  private readonly open = new Map<string, number[]>();
  lastEventId = 0;

  /** The lines for one event (often none). Feed events in ascending id order. */
  lines(e: HistoryEvent): string[] {
    const id = e.id ?? 0;
    const type = e.type ?? '';
    const at = e.timestamp;
    if (id > this.lastEventId) this.lastEventId = id;
    const line = (text: string): string => `${clock(at)}  ${text}`;

    const enteredKind = stateKind(type, 'StateEntered');
    if (enteredKind !== undefined) {
      const name = e.stateEnteredEventDetails?.name ?? '(unnamed state)';
      this.owners.set(id, id);
      this.entries.set(id, { name, kind: enteredKind, enteredAt: at, attempts: 0, failed: false });
      this.open.set(name, [...(this.open.get(name) ?? []), id]);
      if (enteredKind === 'Fail') return [line(`✗ ${name}`)];
      return TIMED_KINDS.has(enteredKind) ? [line(`▶ ${name}`)] : [];
    }

    const exitedKind = stateKind(type, 'StateExited');
    if (exitedKind !== undefined) {
      const name = e.stateExitedEventDetails?.name ?? '(unnamed state)';
      const entryId = this.closeEntry(name, e.previousEventId);
      this.owners.set(id, entryId ?? id);
      const entry = entryId === undefined ? undefined : this.entries.get(entryId);
      if (!TIMED_KINDS.has(exitedKind)) return [line(exitedKind === 'Succeed' ? `✓ ${name}` : `→ ${name}`)];
      const took = entry?.enteredAt && at ? ` (${formatDuration((at.getTime() - entry.enteredAt.getTime()) / 1000)})` : '';
      return [line(`${entry?.failed ? '✗' : '✓'} ${name}${took}`)];
    }

    const ownerId = e.previousEventId === undefined ? undefined : this.owners.get(e.previousEventId);
    if (ownerId !== undefined) this.owners.set(id, ownerId);
    const entry = ownerId === undefined ? undefined : this.entries.get(ownerId);
    const stateName = entry?.name ?? 'a state';

    if (TASK_ATTEMPTS.has(type)) {
      if (!entry) return [];
      entry.attempts += 1;
      const retry = entry.attempts > 1;
      entry.failed = false;
      return retry ? [line(`↻ retry ${stateName} (attempt ${entry.attempts})`)] : [];
    }
    if (TASK_SUCCESSES.has(type)) {
      if (entry) entry.failed = false;
      return [];
    }
    if (TASK_FAILURES.has(type)) {
      if (entry) entry.failed = true;
      return [line(`✗ ${stateName}: ${errorLine(failureDetails(e))}`)];
    }
    if (type === 'ParallelStateFailed' || type === 'MapStateFailed') {
      this.markInnermostOpen(type === 'ParallelStateFailed' ? 'Parallel' : 'Map');
      return [];
    }

    switch (type) {
      case 'ExecutionStarted':
        return [line('● execution started')];
      case 'ExecutionRedriven':
        return [line(`↻ execution redriven (redrive ${e.executionRedrivenEventDetails?.redriveCount ?? '?'})`)];
      case 'ExecutionSucceeded':
        return [line('✓ execution succeeded')];
      case 'ExecutionFailed':
        return [line(`✗ execution failed: ${errorLine(e.executionFailedEventDetails ?? {})}`)];
      case 'ExecutionTimedOut':
        return [line(`✗ execution timed out${e.executionTimedOutEventDetails?.error ? `: ${errorLine(e.executionTimedOutEventDetails)}` : ''}`)];
      case 'ExecutionAborted':
        return [line(`■ execution aborted${e.executionAbortedEventDetails?.error ? `: ${errorLine(e.executionAbortedEventDetails)}` : ''}`)];
      default:
        return [];
    }
  }

  /** The entry an exit closes: the one its event chain leads to, else the oldest open entry of that name. */
  private closeEntry(name: string, previousEventId: number | undefined): number | undefined {
    const open = this.open.get(name) ?? [];
    const viaChain = previousEventId === undefined ? undefined : this.owners.get(previousEventId);
    const entryId = viaChain !== undefined && open.includes(viaChain) ? viaChain : open[0];
    if (entryId !== undefined) this.open.set(name, open.filter((openId) => openId !== entryId));
    return entryId;
  }

  private markInnermostOpen(kind: string): void {
    let innermost: Entry | undefined;
    let innermostId = -1;
    for (const ids of this.open.values()) {
      for (const openId of ids) {
        const entry = this.entries.get(openId);
        if (entry?.kind === kind && openId > innermostId) {
          innermost = entry;
          innermostId = openId;
        }
      }
    }
    if (innermost) innermost.failed = true;
  }
}

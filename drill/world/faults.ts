/**
 * The call log and the fault machinery: every AWS command the world answers is recorded, and a
 * scheduled fault can answer it instead of the world (an error, a hang, another answer).
 */

/** Commands that change the world. A dry run must send none of them (I2). */
export const MUTATING_COMMANDS = new Set([
  'PromoteReadReplicaCommand',
  'UpdateDistributionCommand',
  'ChangeResourceRecordSetsCommand',
  'PutItemCommand',
  'DeleteItemCommand',
]);

export interface AwsCall {
  command: string;
  input: unknown;
  /** The Region of the client that sent it. */
  region: string;
  /** The IAM service prefix of the client that sent it, e.g. `rds`, `route53`. */
  service: string;
  /** The execution ARN of the invocation that sent it; null outside an execution (the Slack notifier, the approval callback). */
  executionId: string | null;
  /** The Task state that invoked the sending Lambda; null outside an execution. */
  state: string | null;
  /** The sending Lambda's functions/ folder, e.g. `promote-replica`; null for a call made outside any Lambda (a test). */
  step: string | null;
  /** Simulated ms at which it was sent. */
  at: number;
  /**
   * How it was answered: `no-answer` until it is (a hung call stays so), then `ok`, `error` (with
   * `error`, the error's name), or `denied` (refused by IAM, with `error`, `action` and `resource`), or `unattributed` (no invocation sent it). A `denied` call stays denied.
   */
  outcome: 'ok' | 'error' | 'denied' | 'unattributed' | 'no-answer';
  /** The error's name for `error` and `denied`; null otherwise. */
  error: string | null;
  /** The IAM action refused (outcome 'denied'). */
  action?: string;
  /** The resource ARN the action was refused on (outcome 'denied'). */
  resource?: string;
}

export interface Fault {
  remaining: number;
  /** Applies only once the command has been called this many times. */
  after: number;
  /** What the call gets instead; `proceed` lets the world answer it (to change or delay the answer). */
  answer: (input: unknown, proceed: () => unknown) => unknown;
  /** The fault's time window: it applies only while this says so (default: always). */
  active?: () => boolean;
  /** A lost response: the world applies the call, and the caller gets a broken connection instead. */
  lost?: boolean;
}

/** Faults: command name → what its next calls do instead of answering; counts every call. */
export class FaultSchedule {
  private readonly faults = new Map<string, Fault[]>();
  private readonly callCounts = new Map<string, number>();

  add(command: string, fault: Fault): void {
    this.faults.set(command, [...(this.faults.get(command) ?? []), fault]);
  }

  /** Counts a call of `command` and returns the fault that answers it, if one is due. */
  take(command: string): Fault | undefined {
    const seen = this.callCounts.get(command) ?? 0;
    this.callCounts.set(command, seen + 1);
    const fault = this.faults.get(command)?.find((f) => f.remaining > 0 && seen >= f.after && (f.active?.() ?? true));
    if (fault) fault.remaining -= 1;
    return fault;
  }

  clear(): void {
    this.faults.clear();
  }
}

export function mutatingCalls(calls: readonly AwsCall[]): AwsCall[] {
  return calls.filter((c) => MUTATING_COMMANDS.has(c.command));
}

export function callsOf(calls: readonly AwsCall[], command: string): AwsCall[] {
  return calls.filter((c) => c.command === command);
}

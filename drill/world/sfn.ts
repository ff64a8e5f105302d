import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
  type SendTaskFailureCommandInput,
  type SendTaskFailureCommandOutput,
  type SendTaskSuccessCommandInput,
  type SendTaskSuccessCommandOutput,
} from '@aws-sdk/client-sfn';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

/** A task token the state machine waits on, with how to settle it. */
export interface TaskTokenWaiter {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  settled: boolean;
}

export function installSfn(world: SimulatedWorld): void {
  const on = stubClient(world, SFNClient);
  const settle = (token: string | undefined, how: (waiter: TaskTokenWaiter) => void) => {
    const waiter = world.taskTokens.get(token ?? '');
    if (!waiter || waiter.settled) throw new TaskTimedOut({ message: 'Task Timed Out: the task token is no longer valid', $metadata: {} });
    waiter.settled = true;
    how(waiter);
    return {};
  };
  on(SendTaskSuccessCommand, (input: SendTaskSuccessCommandInput): Answer<SendTaskSuccessCommandOutput> =>
    settle(input.taskToken, (w) => w.resolve(JSON.parse(input.output ?? 'null') as unknown)),
  );
  on(SendTaskFailureCommand, (input: SendTaskFailureCommandInput): Answer<SendTaskFailureCommandOutput> =>
    settle(input.taskToken, (w) => w.reject(Object.assign(new Error(input.cause ?? ''), { name: input.error ?? 'TaskFailed' }))),
  );
}

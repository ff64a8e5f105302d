import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { clock } from './clock';
import { StepContractError, toStepError } from './errors';
import { logger } from './logger';

export type Timed<R> = R & { startedAt: string; finishedAt: string };

/**
 * The one way a step Lambda is built: validate the payload with zod (boundary),
 * run the step's logic, stamp start/end from the step clock, and turn SDK faults
 * into the named errors the state machine retries.
 * The payload itself is never logged: only the step name, outcome and error name.
 */
export function defineStep<S extends z.ZodType, R extends object>(
  step: string,
  schema: S,
  logic: (input: z.output<S>) => R | Promise<R>,
) {
  const run = async (event: unknown, _context: Context): Promise<Timed<R>> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      throw new StepContractError(`${step}: invalid payload: ${z.prettifyError(parsed.error)}`);
    }
    const startedAt = clock.now().toISOString();
    try {
      const result = await logic(parsed.data);
      logger.info('step finished', { step, outcome: 'outcome' in result ? result.outcome : undefined });
      // A result that carries its own times (the run's report) keeps them.
      return { startedAt, finishedAt: clock.now().toISOString(), ...result };
    } catch (error) {
      const named = toStepError(error);
      // Lambda reports only errorType and errorMessage, so the message names the step for the failure report.
      if (!named.message.startsWith(`[${step}]`)) named.message = `[${step}] ${named.message}`;
      logger.error('step failed', { step, errorName: named.name, errorMessage: named.message });
      throw named;
    }
  };
  // logEvent stays off whatever the environment says: payloads may carry a task token.
  return middy(run).use(injectLambdaContext(logger, { clearState: true, logEvent: false }));
}

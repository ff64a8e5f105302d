import { z } from 'zod';
import { CutoverInputSchema, type ValidatedInput } from '../shared/contracts';
import { InputValidationError } from '../shared/errors';

/** Validates the raw execution input and fills the defaults the rest of the machine relies on. */
export function validateInput(raw: unknown): ValidatedInput {
  const parsed = CutoverInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputValidationError(`Invalid execution input:\n${z.prettifyError(parsed.error)}`);
  }
  const { mode, dryRun, reason, requestedBy, trigger } = parsed.data;
  return {
    mode,
    dryRun,
    reason,
    requestedBy: requestedBy ?? (trigger?.type === 'alarm' ? `alarm:${trigger.alarmName}` : 'unknown'),
    trigger: trigger ?? { type: 'manual' },
  };
}

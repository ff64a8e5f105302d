import { z } from 'zod';
import { defineStep } from '../shared/handler';
import { validateInput } from './logic';

/** The state machine passes the raw execution input as `{ raw }`, so validation errors are this step's to name. */
export const handler = defineStep('Validate input', z.object({ raw: z.unknown() }), ({ raw }) => validateInput(raw));

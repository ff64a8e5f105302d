import { z } from 'zod';

/** Reads and validates a Lambda's environment once, at module load, failing fast with the variable names. */
export function readEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`Invalid Lambda environment: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

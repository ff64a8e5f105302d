import { z } from 'zod';

/** Reads and validates a Lambda's environment now, failing fast with the variable names. */
export function readEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`Invalid Lambda environment: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * What a handler builds from its environment, read and validated on each invocation: call the
 * returned function at the start of the invocation, before any outside call, so a bad environment
 * fails the first invocation with the variable names and changes nothing. The result is rebuilt only
 * when the values of the variables the schema names change: on AWS they never do, so a warm
 * invocation reuses it (and what it holds, such as a cached secret), while one process that runs the
 * handler under two environments (the drill: staging, then prod) never serves one's values to the other.
 * SDK clients stay at module scope; `build` only combines them with the environment's values.
 */
export function perInvocationEnv<S extends z.ZodObject, T>(
  schema: S,
  build: (env: z.output<S>) => T,
  source: () => NodeJS.ProcessEnv = () => process.env,
): () => T {
  const keys = Object.keys(schema.shape);
  let memo: { key: string; value: T } | undefined;
  return () => {
    const env = source();
    const key = JSON.stringify(keys.map((k) => env[k] ?? null));
    if (memo?.key !== key) memo = { key, value: build(readEnv(schema, env)) };
    return memo.value;
  };
}

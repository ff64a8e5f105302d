import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { CutoverError, toStepError } from './errors';

/**
 * A `SecretId` Secrets Manager resolves unambiguously: the secret's name. ARNs are refused: a
 * partial ARN of a name that itself ends in a hyphen and six characters (`…/slack-signing-secret`)
 * looks exactly like a complete ARN, and Secrets Manager reads it as one and finds nothing (user
 * guide, "Finding a secret from a partial ARN"), so no pattern can tell the two apart.
 */
export const SecretIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be the secret name (an ARN cannot be told apart from a partial ARN, which Secrets Manager may not find)');

/** How long a secret value is reused before it is read again (rotation shows up within this). */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

/**
 * A secret has no usable string value (binary only, empty, or not in the expected shape).
 * Its message names the secret id, never the value.
 */
export class SecretValueError extends CutoverError {}

/**
 * One Secrets Manager secret, read on first use and cached (create it at module scope so warm
 * invocations reuse it). Concurrent first reads share one GetSecretValue call; a failed read is not cached.
 * The value is never logged and never put into an error.
 */
export class CachedSecret {
  private cached: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    readonly secretId: string,
    private readonly ttlMs: number = DEFAULT_SECRET_TTL_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The secret string: from the cache while fresh, else read again. */
  value(): Promise<string> {
    if (this.cached && this.now() < this.cached.expiresAt) return Promise.resolve(this.cached.value);
    this.pending ??= this.read().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets the value, e.g. when the service it unlocks refused it (rotated or revoked). */
  clear(): void {
    this.cached = undefined;
  }

  private async read(): Promise<string> {
    let value: string | undefined;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      value = out.SecretString;
    } catch (error) {
      // Throttling/5xx become AwsTransientError; SDK messages name the secret id, not its value.
      throw toStepError(error);
    }
    if (!value) throw new SecretValueError(`Secret ${this.secretId} has no string value`);
    this.cached = { value, expiresAt: this.now() + this.ttlMs };
    return value;
  }
}

/** Functional form: `const webhook = cachedSecret(client, arn); await webhook()`. */
export function cachedSecret(
  client: SecretsManagerClient,
  secretId: string,
  ttlMs: number = DEFAULT_SECRET_TTL_MS,
  now: () => number = () => Date.now(),
): () => Promise<string> {
  const secret = new CachedSecret(client, secretId, ttlMs, now);
  return () => secret.value();
}

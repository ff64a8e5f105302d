import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CachedSecret, DEFAULT_SECRET_TTL_MS, cachedSecret } from '../../functions/shared/secrets';

const SECRET_ID = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:portforge/slack-webhook-AbCdEf';
const sm = mockClient(SecretsManagerClient);

beforeEach(() => sm.reset());

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('CachedSecret', () => {
  it('reads the secret once and serves it from the cache within the TTL', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'value-1' });
    const clock = manualClock();
    const secret = new CachedSecret(new SecretsManagerClient({}), SECRET_ID, 60_000, clock.now);

    await expect(secret.value()).resolves.toBe('value-1');
    clock.advance(59_999);
    await expect(secret.value()).resolves.toBe('value-1');

    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('reads the secret again after the TTL, picking up a rotated value', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'rotated' });
    const clock = manualClock();
    const secret = new CachedSecret(new SecretsManagerClient({}), SECRET_ID, 60_000, clock.now);

    await expect(secret.value()).resolves.toBe('old');
    clock.advance(60_000);
    await expect(secret.value()).resolves.toBe('rotated');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('defaults to a five-minute TTL', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'v' });
    const clock = manualClock();
    const read = cachedSecret(new SecretsManagerClient({}), SECRET_ID, undefined, clock.now);

    await read();
    clock.advance(DEFAULT_SECRET_TTL_MS - 1);
    await read();
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    clock.advance(1);
    await read();
    expect(DEFAULT_SECRET_TTL_MS).toBe(300_000);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('shares one read between concurrent first callers', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'v' });
    const secret = new CachedSecret(new SecretsManagerClient({}), SECRET_ID);

    await expect(Promise.all([secret.value(), secret.value(), secret.value()])).resolves.toEqual(['v', 'v', 'v']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('re-reads after clear()', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'v' });
    const secret = new CachedSecret(new SecretsManagerClient({}), SECRET_ID);

    await secret.value();
    secret.clear();
    await secret.value();
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('does not cache a failed read, and maps throttling to AwsTransientError', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))
      .resolves({ SecretString: 'v' });
    const secret = new CachedSecret(new SecretsManagerClient({}), SECRET_ID);

    await expect(secret.value()).rejects.toMatchObject({ name: 'AwsTransientError' });
    await expect(secret.value()).resolves.toBe('v');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('keeps the name of a permanent error such as a missing secret', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' }));

    await expect(new CachedSecret(new SecretsManagerClient({}), SECRET_ID).value()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('fails with SecretValueError, naming only the secret id, when the secret has no string value', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    await expect(new CachedSecret(new SecretsManagerClient({}), SECRET_ID).value()).rejects.toMatchObject({
      name: 'SecretValueError',
      message: `Secret ${SECRET_ID} has no string value`,
    });
  });
});

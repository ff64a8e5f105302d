import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretIdSchema } from '../../functions/shared/secrets';
import { toRuntimeTargets } from '../../stacks/config';
import { SimulatedWorld, WORLD_ACCOUNT, WORLD_SLACK } from '../../drill/world';
import { testConfig } from '../support/config';

/**
 * The world's Secrets Manager resolves SecretId as the service does (GetSecretValue API reference,
 * SecretId; user guide, "Finding a secret from a partial ARN").
 */
const config = testConfig('prod');
const signing = config.slack.signingSecretName; // ends in "-secret": a hyphen and six characters
const webhook = config.slack.webhookSecretName;
const partialArn = (name: string) => `arn:aws:secretsmanager:${config.standbyRegion}:${WORLD_ACCOUNT}:secret:${name}`;
let world: SimulatedWorld;
const client = new SecretsManagerClient({ region: config.standbyRegion });
const read = (secretId: string) => client.send(new GetSecretValueCommand({ SecretId: secretId }));

beforeAll(async () => {
  world = new SimulatedWorld(config, toRuntimeTargets(config, `arn:aws:acm:${config.standbyRegion}:${WORLD_ACCOUNT}:certificate/x`));
  await world.start();
});
afterAll(async () => {
  await world.stop();
});

describe("the drill world's Secrets Manager", () => {
  it('finds a secret by its name and by its complete ARN', async () => {
    await expect(read(signing)).resolves.toMatchObject({ Name: signing, SecretString: WORLD_SLACK.signingSecret });
    const complete = world.secretArn(signing);
    expect(complete).toMatch(new RegExp(`:secret:${signing}-[A-Za-z0-9]{6}$`));
    await expect(read(complete)).resolves.toMatchObject({ Name: signing, ARN: complete });
  });

  it('finds a secret by its partial ARN only when the name does not end in a hyphen and six characters', async () => {
    await expect(read(partialArn(webhook))).resolves.toMatchObject({ Name: webhook, SecretString: WORLD_SLACK.webhookUrl });
    await expect(read(partialArn(signing))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses a complete ARN with the wrong suffix', async () => {
    await expect(read(`${partialArn(webhook)}-AbCdEf`)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('SecretIdSchema', () => {
  it('accepts a secret name and refuses any ARN: a partial ARN of …/slack-signing-secret looks like a complete one', () => {
    expect(SecretIdSchema.safeParse(signing).success).toBe(true);
    expect(SecretIdSchema.safeParse(webhook).success).toBe(true);
    expect(SecretIdSchema.safeParse(partialArn(signing)).success).toBe(false);
    expect(SecretIdSchema.safeParse(`${partialArn(signing)}-AbCdEf`).success).toBe(false);
    expect(SecretIdSchema.safeParse(partialArn(webhook)).success).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { stubClient, type Answer } from './dispatch';
import { WORLD_ACCOUNT } from './fixtures';
import type { SimulatedWorld } from './simulated-world';

export function installSecretsManager(world: SimulatedWorld): void {
  const on = stubClient(world, SecretsManagerClient);
  on(GetSecretValueCommand, (input: GetSecretValueCommandInput): Answer<GetSecretValueCommandOutput> => {
    const name = resolveSecretId(world, input.SecretId ?? '');
    if (name === undefined) throw new ResourceNotFoundException({ message: `Secrets Manager can't find the specified secret.`, $metadata: {} });
    return { ARN: secretArn(world, name), Name: name, SecretString: world.secrets.get(name) };
  });
}

/**
 * A secret's complete ARN: Secrets Manager appends a hyphen and six random characters to the
 * name (Secrets Manager user guide, "Finding a secret from a partial ARN"). The world derives
 * the six characters from the name, so they are stable across runs.
 */
export function secretArn(world: SimulatedWorld, name: string): string {
  const digest = createHash('sha256').update(name).digest('base64').replace(/[^A-Za-z0-9]/g, '');
  return `arn:aws:secretsmanager:${world.config.standbyRegion}:${WORLD_ACCOUNT}:secret:${name}-${digest.slice(0, 6)}`;
}

/**
 * The secret a `SecretId` names, as Secrets Manager resolves it (GetSecretValue API reference,
 * SecretId; user guide, "Finding a secret from a partial ARN"): a name matches exactly; an ARN
 * whose resource ends in a hyphen and six characters is taken as a complete ARN, suffix
 * included; any other ARN is a partial ARN and matches by name. So a secret whose own name ends
 * in a hyphen and six characters cannot be found by its partial ARN.
 */
export function resolveSecretId(world: SimulatedWorld, id: string): string | undefined {
  const names = [...world.secrets.keys()];
  const arn = /^arn:aws:secretsmanager:([^:]+):(\d{12}):secret:(.+)$/.exec(id);
  if (!arn) return names.find((name) => name === id);
  const [, region, account, resource = ''] = arn;
  if (region !== world.config.standbyRegion || account !== WORLD_ACCOUNT) return undefined;
  if (/-[A-Za-z0-9]{6}$/.test(resource)) return names.find((name) => secretArn(world, name) === id);
  return names.find((name) => name === resource);
}

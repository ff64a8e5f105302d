import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type DescribeUserPoolClientCommandInput,
  type DescribeUserPoolClientCommandOutput,
  type DescribeUserPoolCommandInput,
  type DescribeUserPoolCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import { WORLD_ACCOUNT } from './fixtures';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

export function installCognito(world: SimulatedWorld): void {
  const on = stubClient(world, CognitoIdentityProviderClient);
  // Cognito API reference: DescribeUserPool / DescribeUserPoolClient answer ResourceNotFoundException
  // for a pool or client that does not exist in the Region called.
  const cognitoNotFound = (what: string) =>
    Object.assign(new Error(`${what} does not exist.`), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  const poolId = world.config.cognito.userPoolId;
  on(DescribeUserPoolCommand, (input: DescribeUserPoolCommandInput): Answer<DescribeUserPoolCommandOutput> => {
    if (input.UserPoolId !== poolId || world.cognitoMissing === 'user-pool') throw cognitoNotFound(`User pool ${input.UserPoolId}`);
    return {
      UserPool: {
        Id: poolId,
        Name: 'portforge-dr-user-pool',
        Arn: `arn:aws:cognito-idp:${world.config.standbyRegion}:${WORLD_ACCOUNT}:userpool/${poolId}`,
        Status: 'Enabled',
      },
    };
  });
  on(DescribeUserPoolClientCommand, (input: DescribeUserPoolClientCommandInput): Answer<DescribeUserPoolClientCommandOutput> => {
    if (input.UserPoolId !== poolId || world.cognitoMissing === 'user-pool') throw cognitoNotFound(`User pool ${input.UserPoolId}`);
    if (input.ClientId !== world.config.cognito.appClientId || world.cognitoMissing === 'app-client') throw cognitoNotFound(`User pool client ${input.ClientId}`);
    return { UserPoolClient: { UserPoolId: poolId, ClientId: input.ClientId, ClientName: 'portforge-dr-client' } };
  });
}

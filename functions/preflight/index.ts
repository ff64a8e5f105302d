import { ACMClient } from '@aws-sdk/client-acm';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { clock } from '../shared/clock';
import { PreflightTargetSchema, stepInput } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { preflight } from './logic';
import { awsClientConfig } from '../shared/aws-client';

// All clients in the Lambda's own (standby) Region: the control plane never calls the failing primary.
const deps = {
  rds: new RDSClient(awsClientConfig()),
  cw: new CloudWatchClient(awsClientConfig()),
  ddb: new DynamoDBClient(awsClientConfig()),
  eks: new EKSClient(awsClientConfig()),
  acm: new ACMClient(awsClientConfig()),
  cognito: new CognitoIdentityProviderClient(awsClientConfig()),
  // The Route 53 control plane is global, served from us-east-1.
  route53: new Route53Client(awsClientConfig({ region: 'us-east-1' })),
  clock,
};

export const handler = defineStep('Preflight', stepInput(PreflightTargetSchema), (input) => preflight(deps, input));

import { RDSClient } from '@aws-sdk/client-rds';
import { PollInputSchema, RdsTargetSchema } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { checkPromotion } from './logic';
import { awsClientConfig } from '../shared/aws-client';

// The Lambda's own (standby) Region: the control plane never calls the failing primary.
const rds = new RDSClient(awsClientConfig());

export const handler = defineStep('Check RDS promotion', PollInputSchema(RdsTargetSchema), (input) =>
  checkPromotion({ rds }, input),
);

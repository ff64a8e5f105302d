import { RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { PollInputSchema, RdsTargetSchema } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { checkPromotion } from './logic';
import { awsClientConfig } from '../shared/aws-client';

// The Lambda's own (standby) Region: the control plane never calls the failing primary.
const rds = new RDSClient(awsClientConfig());

/** The promote step's outcome rides along, so a poll of a replica nobody promoted fails fast. */
const CheckPromotionInputSchema = PollInputSchema(RdsTargetSchema).extend({
  promoteOutcome: z.enum(['changed', 'already-done', 'would-change', 'verified']).optional(),
});

export const handler = defineStep('Check RDS promotion', CheckPromotionInputSchema, (input) =>
  checkPromotion({ rds }, input),
);

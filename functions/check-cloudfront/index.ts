import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DistributionTargetSchema, PollInputSchema } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { checkCloudFront, STEP_NAME } from './logic';
import { awsClientConfig } from '../shared/aws-client';

/** The CloudFront control plane is global, served from us-east-1. */
const cloudfront = new CloudFrontClient(awsClientConfig({ region: 'us-east-1' }));

export const handler = defineStep(STEP_NAME, PollInputSchema(DistributionTargetSchema), (input) =>
  checkCloudFront({ cloudfront }, input),
);

import { Route53Client } from '@aws-sdk/client-route-53';
import { defineStep } from '../shared/handler';
import { checkDnsChange, CheckDnsChangeInputSchema, STEP_NAME } from './logic';
import { awsClientConfig } from '../shared/aws-client';

/** The Route 53 control plane is global, served from us-east-1. */
const route53 = new Route53Client(awsClientConfig({ region: 'us-east-1' }));

export const handler = defineStep(STEP_NAME, CheckDnsChangeInputSchema, (input) => checkDnsChange({ route53 }, input));

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { stepInput, TableTargetSchema } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { verifyTable } from './logic';
import { awsClientConfig } from '../shared/aws-client';

// The Lambda's own (standby) Region: the control plane never calls the failing primary.
const ddb = new DynamoDBClient(awsClientConfig());

export const handler = defineStep('Verify DynamoDB replica', stepInput(TableTargetSchema), (input) => verifyTable({ ddb }, input));

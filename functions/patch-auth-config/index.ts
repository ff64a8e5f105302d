import { EKSClient } from '@aws-sdk/client-eks';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { z } from 'zod';
import { eksKubeConnector } from '../shared/eks';
import { readEnv } from '../shared/env';
import { defineStep } from '../shared/handler';
import { patchAuthConfig, PatchAuthConfigInputSchema } from './logic';

const env = readEnv(z.object({ AWS_REGION: z.string().min(1) }));
const kube = eksKubeConnector({ eks: new EKSClient({}), region: env.AWS_REGION, credentials: fromNodeProviderChain() });

export const handler = defineStep('Patch Auth config', PatchAuthConfigInputSchema, (input) => patchAuthConfig({ kube }, input));

import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per Lambda, service name from POWERTOOLS_SERVICE_NAME set by the function construct. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dr-cutover' });

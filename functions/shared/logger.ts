import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger per Lambda, service name from POWERTOOLS_SERVICE_NAME set by the function construct.
 * Powertools reads its settings (service name, log level, AWS_REGION, and ENVIRONMENT, which its log
 * lines do not print) once, here: none names a resource or a secret; the handlers read theirs per invocation.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dr-cutover' });

import { parseConfig, type EnvironmentConfig, type EnvironmentConfigInput } from '../config';
import { prod } from './prod';
import { staging } from './staging';

export const ENVIRONMENTS: Record<string, EnvironmentConfigInput> = { staging, prod };

/**
 * The named environment's validated config. The account comes from `-c account=…`
 * or CDK_DEFAULT_ACCOUNT; without one the stack synthesizes account-agnostic.
 */
export function loadEnvironment(name: string, account?: string): EnvironmentConfig {
  const raw = ENVIRONMENTS[name];
  if (!raw) {
    throw new Error(`Unknown environment '${name}'. Use -c env=<${Object.keys(ENVIRONMENTS).join('|')}>.`);
  }
  return parseConfig(name, account ? { ...raw, account } : raw);
}

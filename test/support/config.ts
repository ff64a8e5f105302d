import { parseConfig, type EnvironmentConfig } from '../../stacks/config';
import { ENVIRONMENTS } from '../../stacks/environments';

/** A shipped environment's config, with test overrides merged on top (one level deep). */
export function testConfig(name: 'staging' | 'prod', overrides: Record<string, unknown> = {}): EnvironmentConfig {
  const base = ENVIRONMENTS[name] as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = base[key];
    merged[key] =
      current && typeof current === 'object' && !Array.isArray(current) && value && typeof value === 'object' && !Array.isArray(value)
        ? { ...current, ...value }
        : value;
  }
  return parseConfig(name, merged);
}

/** Runtime config: the defaults (one place) and their resolution from every source. */
export * from './defaults.js';
export { RUNTIME_CONFIG_FLAGS, RUNTIME_CONFIG_KEYS, RUNTIME_CONFIG_KEY_NAMES, envName, flagName, type RuntimeConfigKey } from './keys.js';
export { resolveRuntimeConfig, type ConfigSource, type ResolveInput, type ResolvedConfig } from './resolve.js';

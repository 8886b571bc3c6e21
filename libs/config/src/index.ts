export { parseKindList, searchKindsOf } from './kinds.js';
export { type Config, ConfigError, limitationOf, loadConfig, settingsMarkdown } from './load.js';
export { SETTINGS, type SettingSpec, type SettingType, SOFTWARE_URL, SUPPORTED_NIPS } from './settings.js';

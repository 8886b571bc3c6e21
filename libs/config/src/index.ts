export { type Config, ConfigError, limitationOf, loadConfig, settingsMarkdown } from './load.js';
export { SETTINGS, type SettingSpec, type SettingType } from './settings.js';

export { closeServer, requireSetting, startHealthServer } from './health.js';
export {
  firstRejection,
  firstRejectionOfEach,
  HOOK_FAILED_REASON,
  type HookLogger,
  type MaybePromise,
  prefixedReason,
  type RejectHook,
  type Rejection,
} from './hooks.js';
export { startedByNpm, watchParent } from './parent.js';
export {
  concatHooks,
  type LoadedPlugin,
  loadPlugins,
  PLUGIN_PARTS,
  type PluginApi,
  PluginError,
  type PluginPart,
  pluginHooks,
  pluginSpecifier,
} from './plugins.js';
export { assertPortFree } from './ports.js';
export { Progress, type ProgressSink } from './progress.js';
export { type RunningService, runService, type ServiceDefinition, StartupError } from './service.js';

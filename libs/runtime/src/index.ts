export { closeServer, requireSetting, startHealthServer } from './health.js';
export { type RunningService, runService, type ServiceDefinition } from './service.js';

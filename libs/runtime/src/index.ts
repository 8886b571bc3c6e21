export { type RunningService, runService, type ServiceDefinition } from './service.js';

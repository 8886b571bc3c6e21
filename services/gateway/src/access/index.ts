export { type ClientAddressing, createClientAddressing } from './client-address.js';
export { type AccessHookConfig, accessAuthChallenge, createAccessHooks, IP_REASONS } from './hooks.js';

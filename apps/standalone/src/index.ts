export { type StandaloneRelay, SUPPORTED_NIPS, startStandalone } from './relay.js';

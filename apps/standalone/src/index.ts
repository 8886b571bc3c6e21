export { type StandaloneRelay, startStandalone } from './relay.js';

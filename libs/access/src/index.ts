export { type AccessLevel, type AccessState, EMPTY_ACCESS_STATE, type RelayInfoOverrides } from './state.js';

export { type Cluster, type ClusterOptions, ensureDatabase, startCluster } from './cluster.js';
export { type HaproxyLayout, haproxyConfig } from './haproxy.js';
export { freePort, waitForHttp } from './ports.js';
export { type LineSink, ServiceProcess } from './service.js';

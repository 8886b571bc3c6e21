import { createServer } from 'node:net';
import { StartupError } from './service.js';

/**
 * Fails with a one-line `StartupError` when `host:port` cannot be listened on (taken, or not
 * allowed), so a process finds out before it has created or migrated anything. Port 0 (any
 * free port) always passes. There is a window between this check and the real listen; the
 * real listen's EADDRINUSE is reported the same way.
 */
export async function assertPortFree(host: string, port: number, setting = 'PORT'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new StartupError(
            `port ${port} on ${host} is already in use (another relay?): stop that process or set ${setting} to a free port`,
          ),
        );
      else if (err.code === 'EACCES')
        reject(new StartupError(`not allowed to listen on ${host}:${port}: choose another ${setting}`));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new StartupError(`${host} is not an address of this machine: set HOST to one that is`));
      else reject(err);
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

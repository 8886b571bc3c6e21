import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * Holds a WebSocket's writes until the current tick's work is done, so the frames of one
 * batch (the stored EVENTs of a page and the EOSE after them, the OKs of one ingest reply, the
 * live EVENTs of one fanout message) leave in one `writev` instead of one syscall per frame — on loopback each write also runs the receiver's TCP path. ws corks and
 * uncorks around each frame itself; nested corks only count, so the frames stay held until this
 * uncork. ws has no public accessor for its socket (`_socket`); without one this does nothing.
 */
export function corkUntilNextTick(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket | null })._socket;
  // Already held this tick (by us: ws's own cork is released before `send` returns).
  if (!socket || socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  process.nextTick(uncork, socket);
}

/** A TCP port free on 127.0.0.1 right now, for a real server the demo or a test starts. */
import { createServer } from 'node:net';

/**
 * Listens on 127.0.0.1:0, reads the port the kernel chose and closes again. Another process may
 * take the port before the caller binds it; the demo and tests accept that small race (as Prometheus's own do).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected listen address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err === undefined ? resolve(port) : reject(err)));
    });
  });
}

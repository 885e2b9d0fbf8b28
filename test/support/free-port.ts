/** A TCP port free on 127.0.0.1 right now (the demo's helper, shared with the tests). */
export { freePort } from '../../src/demo/free-port.js';

/** The tests' model server is the demo's predictor (src/demo/model-server.ts). */
export { startModelServer, type ModelServer } from '../../src/demo/model-server.js';

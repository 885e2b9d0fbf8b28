/**
 * The decode thread (worker_threads entry): decodes CloudEvents batches (and the sidecar's compact
 * capture batches) off the daemon's event loop
 * (JSON parsing and V1/V2 payload decoding of a 16 MiB batch take seconds and hundreds of MB of
 * heap) and answers with the refused events and the others packed for the store writer, moved back
 * by transfer. Protocol: `ToDecoder` / `FromDecoder` (decode-thread.ts).
 */
import { parentPort } from 'node:worker_threads';
import { decodeCaptureBatch } from '../ingest/capture-batch.js';
import { decodeBatch } from '../ingest/cloudevents.js';
import { packEvents } from '../store/write-messages.js';
import type { FromDecoder, ToDecoder } from './decode-thread.js';

if (parentPort === null) throw new Error('decode-worker runs as a worker thread (started by the daemon)');
const port = parentPort;

port.on('message', (m: ToDecoder) => {
  let reply: FromDecoder;
  try {
    const d = (m.format === 'capture' ? decodeCaptureBatch : decodeBatch)(Buffer.from(m.body), m.limits, m.nowMs);
    if (!d.ok) reply = { seq: m.seq, ok: false, error: d.error };
    else {
      const packed = d.value.events.length === 0 ? null : packEvents(d.value.events);
      reply = { seq: m.seq, ok: true, accepted: d.value.events.length, refused: d.value.refused, packed };
    }
  } catch (err) {
    reply = { seq: m.seq, ok: false, error: `internal: ${err instanceof Error ? err.message : String(err)}`, internal: true };
  }
  port.postMessage(reply, reply.ok && reply.packed !== null ? [reply.packed] : []);
});

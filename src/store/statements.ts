/** The SQL of the hot write path (prepared once per store). */

/** The dedupe ledger: ignored when (source, id, type) was seen before. */
export const INSERT_EVENT = 'INSERT OR IGNORE INTO events (source, id, type, received_ms) VALUES (?, ?, ?, ?)';

const COLUMNS = `namespace, model, request_id, endpoint, component, revision, protocol, path, time_ms, received_ms`;
// The order of the 17 common parameters: the columns above, then the half's time, payload, content
// type, decoded values, truncated, redacted, metadata; each statement ends with the half's decode error.
const KEEP = `revision = COALESCE(predictions.revision, excluded.revision), path = COALESCE(predictions.path, excluded.path),
  protocol = CASE WHEN predictions.protocol = 'other' THEN excluded.protocol ELSE predictions.protocol END,
  truncated = predictions.truncated | excluded.truncated, redacted = COALESCE(predictions.redacted, excluded.redacted),
  metadata = COALESCE(predictions.metadata, excluded.metadata), decode_error = COALESCE(predictions.decode_error, excluded.decode_error)`;

/** Stores a request half, or completes a prediction whose response came first. */
export const UPSERT_REQUEST = `INSERT INTO predictions (${COLUMNS}, state, request_time_ms, request_payload, request_content_type, features, truncated, redacted, metadata, decode_error)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (namespace, model, request_id) DO UPDATE SET
  time_ms = excluded.request_time_ms, request_time_ms = excluded.request_time_ms, request_payload = excluded.request_payload,
  request_content_type = excluded.request_content_type, features = excluded.features, ${KEEP},
  state = CASE WHEN predictions.response_time_ms IS NOT NULL THEN 'joined' ELSE predictions.state END`;

/** Stores a response half, or completes a prediction whose request came first. */
export const UPSERT_RESPONSE = `INSERT INTO predictions (${COLUMNS}, state, response_time_ms, response_payload, response_content_type, outputs, truncated, redacted, metadata, status, latency_ms, decode_error)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (namespace, model, request_id) DO UPDATE SET
  response_time_ms = excluded.response_time_ms, response_payload = excluded.response_payload,
  response_content_type = excluded.response_content_type, outputs = excluded.outputs,
  status = COALESCE(excluded.status, predictions.status), latency_ms = COALESCE(excluded.latency_ms, predictions.latency_ms), ${KEEP},
  state = CASE WHEN predictions.request_time_ms IS NOT NULL THEN 'joined' ELSE predictions.state END`;

/** Spans: ignored when (trace id, span id) was stored before. */
export const INSERT_SPAN = `INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, name, start_ms, duration_ms, status_code, http_status, model, namespace, request_id, service_name, attributes)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Marks halves still unmatched that were received before ? as expired. */
export const EXPIRE_JOINS = `UPDATE predictions SET state = 'expired' WHERE state = 'pending' AND received_ms < ?`;

/** Retention, in order: payloads older than the payload horizon, then spans, then whole records and the ledger. */
export const RETAIN_PAYLOADS =
  'UPDATE predictions SET request_payload = NULL, response_payload = NULL, features = NULL, outputs = NULL WHERE time_ms < ? AND (request_payload IS NOT NULL OR response_payload IS NOT NULL OR features IS NOT NULL OR outputs IS NOT NULL)';
export const RETAIN_SPANS = 'DELETE FROM spans WHERE start_ms < ?';
export const RETAIN_RECORDS = 'DELETE FROM predictions WHERE time_ms < ?';
export const RETAIN_EVENTS = 'DELETE FROM events WHERE received_ms < ?';

/** One drift result row (named parameters of DriftResultRecord). */
export const INSERT_DRIFT_RESULT = `INSERT INTO drift_results (namespace, model, run_ms, window_from_ms, window_to_ms, endpoint, level, drift_share, feature, kind, test, feature_level, score, p_value, adjusted_p_value, threshold, reference_size, current_size, details)
  VALUES (@namespace, @model, @runMs, @windowFromMs, @windowToMs, @endpoint, @level, @driftShare, @feature, @kind, @test, @featureLevel, @score, @pValue, @adjustedPValue, @threshold, @referenceSize, @currentSize, @details)`;

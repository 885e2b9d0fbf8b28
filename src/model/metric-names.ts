/**
 * The names of the metrics the sidecar exports (DESIGN.md fixes them): the sidecar registers them
 * under these names and the generated rules and dashboards query them, so both read them from here.
 */
export const SIDECAR_METRICS = {
  requests: 'modelslo_requests_total',
  otherRequests: 'modelslo_other_requests_total',
  duration: 'modelslo_request_duration_seconds',
  predictorReady: 'modelslo_predictor_ready',
  predictorLoad: 'modelslo_predictor_load_seconds',
  readinessTransitions: 'modelslo_predictor_readiness_transitions_total',
  coldStartRequests: 'modelslo_cold_start_requests_total',
  coldStartDuration: 'modelslo_cold_start_request_duration_seconds',
  inFlight: 'modelslo_requests_in_flight',
} as const;

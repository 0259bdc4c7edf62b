/** Every route, by name: the `route` label of the metrics and the keys of /admin/stats. */
export const ROUTES = [
  'v1_lookup',
  'v1_details',
  'v1_categories',
  'v1_changes',
  'v1_telemetry',
  'admin_faults',
  'admin_verdicts',
  'admin_stats',
  'admin_asked',
  'admin_telemetry',
  'admin_reset',
  'metrics',
  'healthz',
  'unmatched',
] as const;
export type RouteName = (typeof ROUTES)[number];

/** v1: the upstream protocol (faults apply, API key); admin: test routes (API key); open: no key. */
export type Scope = 'v1' | 'admin' | 'open';

export interface Match {
  route: RouteName;
  scope: Scope;
  methods: readonly string[];
  /** Path parameter, for /v1/files/{hash}/details. */
  param?: string;
}

const EXACT: ReadonlyMap<string, Match> = new Map(
  Object.entries({
    '/v1/lookup': { route: 'v1_lookup', scope: 'v1', methods: ['POST'] },
    '/v1/categories': { route: 'v1_categories', scope: 'v1', methods: ['GET'] },
    '/v1/changes': { route: 'v1_changes', scope: 'v1', methods: ['GET'] },
    '/v1/telemetry': { route: 'v1_telemetry', scope: 'v1', methods: ['POST'] },
    '/admin/faults': { route: 'admin_faults', scope: 'admin', methods: ['GET', 'POST'] },
    '/admin/verdicts': { route: 'admin_verdicts', scope: 'admin', methods: ['POST'] },
    '/admin/stats': { route: 'admin_stats', scope: 'admin', methods: ['GET'] },
    '/admin/asked': { route: 'admin_asked', scope: 'admin', methods: ['GET'] },
    '/admin/telemetry': { route: 'admin_telemetry', scope: 'admin', methods: ['GET'] },
    '/admin/reset': { route: 'admin_reset', scope: 'admin', methods: ['POST'] },
    '/metrics': { route: 'metrics', scope: 'open', methods: ['GET'] },
    '/healthz': { route: 'healthz', scope: 'open', methods: ['GET'] },
  } satisfies Record<string, Match>),
);
const DETAILS = /^\/v1\/files\/([^/]+)\/details$/;

export function matchRoute(path: string): Match {
  const exact = EXACT.get(path);
  if (exact) return exact;
  const details = DETAILS.exec(path);
  if (details) return { route: 'v1_details', scope: 'v1', methods: ['GET'], param: details[1]! };
  return {
    route: 'unmatched',
    scope: path.startsWith('/v1/') ? 'v1' : path.startsWith('/admin/') ? 'admin' : 'open',
    methods: [],
  };
}

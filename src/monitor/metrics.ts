// placeholder replaced below
import type { RouteManager } from '../route/manager.js';
import type { Relay } from '../relay/relay.js';
export function createMetrics(_r: RouteManager, _x: Relay) {
  return { render: async () => ({ contentType: 'text/plain', body: '' }), close() {} };
}

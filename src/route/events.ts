// Route lifecycle events for observers outside the route layer (monitoring, metrics), on
// node:diagnostics_channel: publishing costs nothing while nobody subscribes, and the
// monitor never has to wrap the relay's observer. Not on the message path.
import diagnostics_channel from 'node:diagnostics_channel';
import type { RouteConnection } from './connection.js';
import type { RoutePeer } from './peer.js';

export interface RouteRegisteredEvent { peer: RoutePeer; conn: RouteConnection }
export interface RouteClosedEvent { conn: RouteConnection; reason: string; peer: RoutePeer | undefined }

export const routeRegistered = diagnostics_channel.channel('nats-route-proxy:route:registered');
export const routeClosed = diagnostics_channel.channel('nats-route-proxy:route:closed');

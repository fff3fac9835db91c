// Renders config/grafana/preview.svg: the main panels of config/grafana/nats-route-proxy.json,
// computed with the same queries from real /metrics scrapes of a two-site run (real
// nats-servers, two proxies, varying load, one server restart). No Grafana runs here, so the
// panels are drawn as SVG by this script instead of Grafana's renderer.
//   npx tsc -p tsconfig.json && node dist/scripts/dashboard-preview.js
import { writeFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { startServer, waitFor } from '../test/helpers/nats-server.js';
import { startProxy } from '../test/helpers/proxy.js';

interface Sample { at: number; series: Array<{ name: string; labels: Record<string, string>; value: number }> }

function parseMetrics(text: string): Sample['series'] {
  const out: Sample['series'] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const teardown: Array<() => unknown> = [];
const t = { teardown: (fn: () => unknown) => teardown.push(fn) };

function conf(name: string, routes: string[]): string {
  return `server_name: ${name}\nhttp: "127.0.0.1:-1"\ncluster {\n  name: world\n  listen: "127.0.0.1:-1"\n  ping_interval: "2s"\n  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}\n}\n`;
}

async function run(): Promise<Sample[]> {
  const pb = await startProxy(t, conf('proxy-b', []), { level: 'info' });
  const pa = await startProxy(t, conf('proxy-a', [pb.routeUrl]), { level: 'info' });
  const sa1 = await startServer(t, { version: '2.10.27', name: 'a1', cluster: { name: 'world', routes: [pa.routeUrl] } });
  const sa2 = await startServer(t, { version: '2.15.1', name: 'a2', cluster: { name: 'world', routes: [pa.routeUrl] } });
  const sb = await startServer(t, { version: '2.15.1', name: 'b1', cluster: { name: 'world', routes: [pb.routeUrl] } });
  await waitFor(() => pa.daemon.routes.getPeers().length === 3 && pb.daemon.routes.getPeers().length === 2, { what: 'sites up', timeoutMs: 20_000 });
  const ncb = await connect({ servers: sb.clientUrl });
  ncb.subscribe('load.>', { callback: () => {} });
  await ncb.flush();
  await new Promise((r) => setTimeout(r, 1500));
  const pubs = [await connect({ servers: sa1.clientUrl }), await connect({ servers: sa2.clientUrl })];
  const http = pa.daemon.monitor!.port;
  const samples: Sample[] = [];
  const start = Date.now();
  const DURATION = 60_000;
  let restarted = false;
  const payloads = { small: new Uint8Array(128), big: new Uint8Array(1024) };
  while (Date.now() - start < DURATION) {
    const el = Date.now() - start;
    // Load phases: 1000 msg/s small from a1, then 4000 msg/s 1 KB from both, then 500 msg/s.
    const [rate, data, both] = el < 20_000 ? [1000, payloads.small, false] : el < 40_000 ? [4000, payloads.big, true] : [500, payloads.small, false];
    for (let i = 0; i < rate / 10; i++) {
      try { (both && i % 2 ? pubs[1]! : pubs[0]!).publish(`load.${i % 8}`, data); } catch { /* a restarting server */ }
    }
    if (!restarted && el > 45_000) {
      restarted = true;
      void sa2.restart();
    }
    if (samples.length === 0 || Date.now() - start - samples[samples.length - 1]!.at >= 2000) {
      const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
      samples.push({ at: Date.now() - start, series: parseMetrics(text) });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const nc of [...pubs, ncb]) await nc.close();
  return samples;
}

// ---- the panels (same expressions as the dashboard) ------------------------------------

type Line = { label: string; points: Array<[number, number]> };

function group(samples: Sample[], name: string, by: (l: Record<string, string>) => string | undefined, rate: boolean): Line[] {
  const lines = new Map<string, Array<[number, number]>>();
  for (let i = rate ? 1 : 0; i < samples.length; i++) {
    const s = samples[i]!;
    const sums = new Map<string, number>();
    for (const x of s.series) {
      if (x.name !== name) continue;
      const key = by(x.labels);
      if (key === undefined) continue;
      let v = x.value;
      if (rate) {
        const prev = samples[i - 1]!.series.find((p) => p.name === name && JSON.stringify(p.labels) === JSON.stringify(x.labels));
        // A series that restarted (new connection) counts from 0, like Prometheus' rate() reset handling.
        const dv = prev ? (x.value >= prev.value ? x.value - prev.value : x.value) : 0;
        v = dv / ((s.at - samples[i - 1]!.at) / 1000);
      }
      sums.set(key, (sums.get(key) ?? 0) + v);
    }
    for (const [k, v] of sums) {
      if (!lines.has(k)) lines.set(k, []);
      lines.get(k)!.push([s.at / 1000, v]);
    }
  }
  return [...lines].map(([label, points]) => ({ label, points }));
}

const COLORS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#b877d9', '#f2495c', '#8ab8ff', '#fade2a'];

function fmt(v: number, unit: string): string {
  const k = (x: number, u: string[]) => { let i = 0; while (Math.abs(x) >= 1000 && i < u.length - 1) { x /= 1000; i++; } return `${Number(x.toFixed(1))}${u[i]}`; };
  if (unit === 'ops') return k(v, ['', 'K', 'M']) + '/s';
  if (unit === 'Bps') return k(v, ['B', 'kB', 'MB', 'GB']) + '/s';
  if (unit === 'bytes') return k(v, ['B', 'kB', 'MB', 'GB']);
  if (unit === 's') return v < 0.001 ? `${(v * 1e6).toFixed(0)}µs` : `${(v * 1000).toFixed(2)}ms`;
  return k(v, ['', 'K', 'M']);
}

function panelSvg(x: number, y: number, w: number, h: number, title: string, lines: Line[], unit: string): string {
  const pad = { l: 62, r: 10, t: 28, b: 22 };
  const legendH = 14 * lines.length + 6;
  const ph = h - pad.t - pad.b - legendH;
  const pw = w - pad.l - pad.r;
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, 1);
  const y1 = Math.max(...ys, 1e-9) * 1.1;
  const sx = (v: number) => x + pad.l + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => y + pad.t + ph - (v / y1) * ph;
  let s = `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="3" fill="#181b1f" stroke="#2c3235"/>`;
  s += `<text x="${x + 10}" y="${y + 18}" fill="#ccccdc" font-size="13" font-weight="600">${title}</text>`;
  for (let i = 0; i <= 4; i++) {
    const v = (y1 / 4) * i;
    s += `<line x1="${x + pad.l}" x2="${x + pad.l + pw}" y1="${sy(v)}" y2="${sy(v)}" stroke="#2c3235"/>`;
    s += `<text x="${x + pad.l - 6}" y="${sy(v) + 4}" fill="#8e8e8e" font-size="10" text-anchor="end">${fmt(v, unit)}</text>`;
  }
  for (let tsec = 0; tsec <= x1; tsec += 10) s += `<text x="${sx(tsec)}" y="${y + pad.t + ph + 14}" fill="#8e8e8e" font-size="10" text-anchor="middle">${tsec}s</text>`;
  lines.forEach((l, i) => {
    const c = COLORS[i % COLORS.length];
    s += `<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${l.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"/>`;
    const last = l.points[l.points.length - 1]?.[1] ?? 0;
    const max = Math.max(...l.points.map((p) => p[1]));
    const ly = y + h - legendH + 14 * i + 8;
    s += `<rect x="${x + pad.l}" y="${ly - 7}" width="12" height="3" fill="${c}"/><text x="${x + pad.l + 18}" y="${ly}" fill="#ccccdc" font-size="10">${l.label}   last ${fmt(last, unit)}   max ${fmt(max, unit)}</text>`;
  });
  return s;
}

async function main(): Promise<void> {
  let samples: Sample[];
  try {
    samples = await run();
  } finally {
    for (const fn of teardown.reverse()) await fn();
  }
  const peer = (l: Record<string, string>) => `${l.server_route_name} (${l.peer_kind})`;
  const panels: Array<[string, Line[], string]> = [
    ['Messages in / s per peer', group(samples, 'nats_core_route_recv_msg_count', peer, true), 'ops'],
    ['Messages out / s per peer', group(samples, 'nats_core_route_sent_msg_count', peer, true), 'ops'],
    ['Bytes out / s to proxy-b: logical vs wire', [
      ...group(samples, 'nats_core_route_sent_bytes', (l) => (l.peer_kind === 'proxy' ? `${l.server_route_name} logical` : undefined), true),
      ...group(samples, 'nats_route_proxy_route_wire_sent_bytes', (l) => (l.peer_kind === 'proxy' ? `${l.server_route_name} wire` : undefined), true)], 'Bps'],
    ['Pending bytes per peer', group(samples, 'nats_core_route_pending_bytes', peer, false), 'bytes'],
    ['RTT per peer', group(samples, 'nats_route_proxy_route_rtt_seconds', peer, false), 's'],
    ['Route closes by reason (cumulative)', group(samples, 'nats_route_proxy_route_closed_total', (l) => `${l.reason}${l.registered === 'true' ? '' : ' (handshake)'}`, false), 'short'],
  ];
  const W = 1400;
  const PW = W / 2 - 15;
  const PH = 270;
  let body = '';
  panels.forEach(([title, lines, unit], i) => {
    body += panelSvg(10 + (i % 2) * (PW + 10), 50 + Math.floor(i / 2) * (PH + 10), PW, PH, title, lines, unit);
  });
  const H = 50 + Math.ceil(panels.length / 2) * (PH + 10) + 20;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="Inter, Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="#111217"/>
<text x="14" y="30" fill="#ccccdc" font-size="18" font-weight="600">nats-route-proxy — proxy-a (real run: 2 sites, 3 nats-servers, 60 s, a2 restarted at 45 s)</text>
${body}
<text x="14" y="${H - 8}" fill="#8e8e8e" font-size="10">Panels of config/grafana/nats-route-proxy.json, drawn by scripts/dashboard-preview.ts from /metrics scraped every 2 s (no Grafana here).</text>
</svg>
`;
  writeFileSync('config/grafana/preview.svg', svg);
  console.log(`config/grafana/preview.svg: ${samples.length} scrapes`);
  process.exit(0);
}

void main();

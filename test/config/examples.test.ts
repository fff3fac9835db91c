// Every proxy configuration shipped in config/ must stay valid (nats-server configs, named
// *-server.conf, are examples for the servers and are not ours to load).
import t from 'tap';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../config');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'grafana' ? [] : files(p); // dashboards, not configs
    return /\.(conf|ya?ml|json)$/.test(n) && !/-server\.conf$/.test(n) ? [p] : [];
  });
}

const found = files(root);
t.ok(found.length >= 5, `found the examples (${found.length})`);
for (const f of found) {
  t.test(f.slice(root.length + 1), async (t) => {
    const r = buildOptions(loadConfigFile(f), undefined, { configFile: f });
    t.same([...r.errors, ...r.warnings].map(formatIssue), [], 'no errors or warnings');
    t.ok(r.options?.cluster.enabled, 'a route listener is configured');
  });
}

// `npm run bench`: runs every compiled bench/*.bench.js (by convention each default-exports
// groups(opts)), prints a table and writes JSON into bench-results/micro-<stamp>/.
//   --quick            tiny budgets and sizes (smoke runs)
//   --filter <re>      only cases whose "group/case" matches (case-insensitive)
//   --out <dir>        results folder (default bench-results/micro-<stamp>)
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable, runGroup, type BenchGroup, type BenchOptions, type CaseResult } from '../bench/harness.js';
import { machineInfo, machineLine, stamp } from '../bench/machine.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/scripts
const benchDir = resolve(here, '..', 'bench'); // dist/bench
const repo = resolve(here, '..', '..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, filter: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--quick] [--filter <regexp>] [--out <dir>]\n');
    return 0;
  }
  const opts: BenchOptions = { quick: values.quick === true };
  const filter = values.filter !== undefined ? new RegExp(values.filter, 'i') : undefined;
  const machine = machineInfo();
  process.stdout.write(`micro benchmarks${opts.quick ? ' (quick)' : ''}: ${machineLine(machine)}\n`);

  const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.js')).sort();
  const results: CaseResult[] = [];
  const failures: string[] = [];
  for (const f of files) {
    let groups: BenchGroup[];
    try {
      const mod = (await import(pathToFileURL(join(benchDir, f)).href)) as { default: (o: BenchOptions) => BenchGroup[] | Promise<BenchGroup[]> };
      groups = await mod.default(opts);
    } catch (err) {
      failures.push(`${f}: setup failed: ${(err as Error).stack ?? String(err)}`);
      continue;
    }
    for (const g of groups) {
      const r = await runGroup(g, {
        quick: opts.quick,
        ...(filter ? { filter } : {}),
        // A live line on a terminal; nothing when captured (the table says it all).
        ...(process.stderr.isTTY ? { onCase: (group: string, name: string) => process.stderr.write(`\r\x1b[K  ${f}: ${group} / ${name}`) } : {}),
      });
      for (const x of r) if (x.error) failures.push(`${x.group} / ${x.name}: ${x.error}`);
      results.push(...r);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  process.stdout.write(`\n${formatTable(results)}\n`);

  const out = resolve(values.out ?? join(repo, 'bench-results', `micro-${stamp()}`));
  mkdirSync(out, { recursive: true });
  const json = join(out, 'micro.json');
  writeFileSync(json, JSON.stringify({ kind: 'micro', quick: opts.quick, filter: values.filter ?? null, machine, files, results }, null, 2) + '\n');
  process.stdout.write(`\nJSON: ${json}\n`);
  if (failures.length) {
    process.stderr.write(`\n${failures.length} failure(s):\n${failures.join('\n')}\n`);
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

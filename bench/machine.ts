// What a benchmark report is headed by: the machine and the software measured on it.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  v8: string;
  platform: string;
  kernel: string;
  /** 1, 5, 15 minute load averages at the start: a shared machine makes figures drift. */
  loadavg: string;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model ?? 'unknown';
}

function kernel(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    kernel: kernel(),
    loadavg: loadavg().map((v) => v.toFixed(2)).join(' '),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node} (V8 ${m.v8}), load ${m.loadavg}, ${m.date}`;
}

/** A sortable, filesystem-safe stamp for a results folder: 2026-12-02T03-04-05Z. */
export function stamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

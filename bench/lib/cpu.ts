// CPU seconds used by processes on this machine, read from /proc: how the two cores were shared
// between the benchmark's Node process, the PostgreSQL backends and everything else.
import { readdirSync, readFileSync } from 'node:fs';

const ticks_per_s = 100; // USER_HZ on Linux

function processTicks(pid: string): { comm: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5), counted from `state`)
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at_ms: number;
  total_ticks: number;
  idle_ticks: number;
  postgres_ticks: number;
  self_ticks: number;
  by_pid: Map<string, number>;
}

export function cpuSnapshot(extra_pids: number[] = []): CpuSnapshot {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total_ticks = line.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle_ticks = line[3]! + line[4]!;
  let postgres_ticks = 0;
  const by_pid = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const p = processTicks(pid);
    if (!p) continue;
    if (p.comm === 'postgres') postgres_ticks += p.ticks;
    by_pid.set(pid, p.ticks);
  }
  const self_ticks = processTicks(String(process.pid))?.ticks ?? 0;
  for (const pid of extra_pids) by_pid.set(String(pid), processTicks(String(pid))?.ticks ?? 0);
  return { at_ms: performance.now(), total_ticks, idle_ticks, postgres_ticks, self_ticks, by_pid };
}

/** Cores used on average between two snapshots: by this process, by PostgreSQL, by others, idle. */
export function cpuShare(a: CpuSnapshot, b: CpuSnapshot, child_pid?: number): { seconds: number; bench_cores: number; child_cores: number; postgres_cores: number; other_cores: number; idle_cores: number } {
  const seconds = (b.at_ms - a.at_ms) / 1000;
  const cores = (ticks: number) => Math.round((100 * ticks) / ticks_per_s / seconds) / 100;
  // Backends that ended between the snapshots are missed; for a benchmark's long-lived pool that is noise.
  let postgres = 0;
  for (const [pid, ticks] of b.by_pid) {
    const before = a.by_pid.get(pid) ?? 0;
    const comm = processTicks(pid)?.comm;
    if (comm === 'postgres') postgres += ticks - before;
  }
  const self = b.self_ticks - a.self_ticks;
  const child = child_pid ? (b.by_pid.get(String(child_pid)) ?? 0) - (a.by_pid.get(String(child_pid)) ?? 0) : 0;
  const busy_all = b.total_ticks - a.total_ticks - (b.idle_ticks - a.idle_ticks);
  // /proc/stat counts ticks summed over CPUs in USER_HZ too.
  return {
    seconds: Math.round(seconds * 100) / 100,
    bench_cores: cores(self),
    child_cores: cores(child),
    postgres_cores: cores(postgres),
    other_cores: cores(Math.max(0, busy_all - self - child - postgres)),
    idle_cores: cores(b.idle_ticks - a.idle_ticks),
  };
}

/**
 * CPU accounting for the bench, from /proc (Linux): the machine's busy time and each process
 * group's own (user + system) time, in seconds, so a window's CPU can be split by process.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime of the process itself, seconds. */
  self: number;
  /** cutime + cstime: children it has reaped (a PostgreSQL backend that exited), seconds. */
  reaped: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  return { pid, ppid: Number(f[1]), comm, self: (Number(f[11]) + Number(f[12])) / CLK_TCK, reaped: (Number(f[13]) + Number(f[14])) / CLK_TCK };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The machine's busy CPU seconds since boot (every core; idle and iowait excluded). */
export function machineBusy(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

/**
 * A named set of processes: fixed pids (a node service, nats-server) or a tree under a root pid
 * (the postmaster and its backends, found again at each reading since backends come and go).
 * A tree's total counts the live processes and what their parents reaped, so a backend that
 * exits inside a window is still counted.
 */
export interface ProcessGroup {
  name: string;
  pids?: number[];
  treeRoot?: number;
}

export function groupSeconds(group: ProcessGroup, stats?: Map<number, ProcStat>): number {
  if (group.pids) return group.pids.reduce((s, pid) => s + (readStat(pid)?.self ?? 0), 0);
  if (group.treeRoot === undefined) return 0;
  const table = stats ?? new Map(allPids().flatMap((pid) => (readStat(pid) ? [[pid, readStat(pid)!] as const] : [])));
  const members = new Set([group.treeRoot]);
  // Parents come before children in pid order only usually: loop until no more are added.
  for (let grown = true; grown; ) {
    grown = false;
    for (const st of table.values()) {
      if (!members.has(st.pid) && members.has(st.ppid)) {
        members.add(st.pid);
        grown = true;
      }
    }
  }
  let total = 0;
  for (const pid of members) {
    const st = table.get(pid);
    if (st) total += st.self + st.reaped;
  }
  return total;
}

/** Every process's stat at once (one /proc scan per reading, shared by the tree groups). */
export function procTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const pid of allPids()) {
    const st = readStat(pid);
    if (st) table.set(pid, st);
  }
  return table;
}

/** The top-most process whose command line mentions `marker` and whose name is `comm` (e.g. the postmaster of a data dir). */
export function findProcess(marker: string, comm: RegExp): number | undefined {
  const table = procTable();
  const matches = [...table.values()].filter((st) => comm.test(st.comm) && cmdline(st.pid).includes(marker));
  const pids = new Set(matches.map((m) => m.pid));
  return matches.find((m) => !pids.has(m.ppid))?.pid;
}

export interface CpuReading {
  at: number;
  machine: number;
  groups: Record<string, number>;
}

export function readCpu(groups: ProcessGroup[]): CpuReading {
  const table = groups.some((g) => g.treeRoot !== undefined) ? procTable() : undefined;
  return { at: performance.now(), machine: machineBusy(), groups: Object.fromEntries(groups.map((g) => [g.name, groupSeconds(g, table)])) };
}

/** CPU seconds spent between two readings, per group and for the machine, and the wall seconds. */
export function cpuDelta(a: CpuReading, b: CpuReading): { wall: number; machine: number; groups: Record<string, number> } {
  return { wall: (b.at - a.at) / 1000, machine: b.machine - a.machine, groups: Object.fromEntries(Object.keys(b.groups).map((k) => [k, b.groups[k] - (a.groups[k] ?? 0)])) };
}

export const clockTick = 1 / CLK_TCK;

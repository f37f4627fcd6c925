// Loaded into the benchmarked operator (`node --import bench/lag-probe.ts …`, by convergence.ts):
// event-loop lag as the operator causes it, apart from the lag a busy machine causes. A 10-ms timer
// measures how late it fires (the wall-clock lag, what monitorEventLoopDelay reports), and how much
// CPU the main thread used meanwhile (process.threadCpuUsage): a timer late because the process
// waited for a core shows little CPU, one held up by a long task shows that task's CPU. The CPU lag
// of a tick is min(wall lag, CPU used since the last tick): on a machine shared with other work it
// is what the wall-clock lag would be on an idle one.
//
// Writes one JSON line per second to LAG_PROBE_FILE: { at (epoch ms), ticks, wallP99, wallMax,
// cpuP99, cpuMax } (ms), and one line { longTask: { at, wallMs, cpuMs, startNs, endNs } } per tick
// whose CPU lag reached 20 ms (startNs/endNs: process.hrtime, the clock of a .cpuprofile's samples).
import { appendFileSync } from 'node:fs';

const file = process.env['LAG_PROBE_FILE'];
const INTERVAL_MS = 10;
const LONG_MS = 20;

if (file) {
  let wall: number[] = [];
  let cpu: number[] = [];
  let lastCpu = process.threadCpuUsage();
  let lastAt = performance.now();
  let lastNs = process.hrtime.bigint();
  let second = Math.floor(Date.now() / 1000);
  const p99 = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
  };
  const round = (v: number): number => Math.round(v * 10) / 10;
  const flush = (): void => {
    if (wall.length === 0) return;
    appendFileSync(file, `${JSON.stringify({ at: second * 1000, ticks: wall.length, wallP99: round(p99(wall)), wallMax: round(Math.max(...wall)), cpuP99: round(p99(cpu)), cpuMax: round(Math.max(...cpu)) })}\n`);
    wall = [];
    cpu = [];
  };
  const tick = (): void => {
    const now = performance.now();
    const nowNs = process.hrtime.bigint();
    const used = process.threadCpuUsage(lastCpu);
    const wallLag = Math.max(0, now - lastAt - INTERVAL_MS);
    const cpuLag = Math.min(wallLag, (used.user + used.system) / 1000);
    if (cpuLag >= LONG_MS) appendFileSync(file, `${JSON.stringify({ longTask: { at: Date.now(), wallMs: round(wallLag), cpuMs: round(cpuLag), startNs: String(lastNs), endNs: String(nowNs) } })}\n`);
    const s = Math.floor(Date.now() / 1000);
    if (s !== second) {
      flush();
      second = s;
    }
    wall.push(wallLag);
    cpu.push(cpuLag);
    lastCpu = process.threadCpuUsage();
    lastAt = performance.now();
    lastNs = process.hrtime.bigint();
    setTimeout(tick, INTERVAL_MS).unref();
  };
  setTimeout(tick, INTERVAL_MS).unref();
}

// The first email's load of nodemailer (issue 24 §2): CPU and the longest main-thread task (CPU between
// setImmediate turns), the whole package at once as before or loadNodemailer() (one module per turn).
// The operator has node:http(s) and nodemailer's addressparser loaded already: so here.
//   node --import tsx bench/nodemailer-load.ts whole|sliced   (a fresh process each time)
import 'node:http';
import 'node:https';
import 'nodemailer/lib/addressparser';
const which = process.argv[2];
let longest = 0, lastCpu = process.threadCpuUsage(), running = true;
const spin = (): void => { const u = process.threadCpuUsage(lastCpu); const gap = (u.user + u.system) / 1000; if (gap > longest) longest = gap; lastCpu = process.threadCpuUsage(); if (running) setImmediate(spin); };
const { loadNodemailer } = await import('../operator/invitations/smtp.js');
await import('../operator/runtime/slicing.js');
setImmediate(spin);
await new Promise((r) => setTimeout(r, 30));
longest = 0;
const c0 = process.threadCpuUsage(); const rss0 = process.memoryUsage().rss;
if (which === 'whole') await Promise.all([import('nodemailer'), import('nodemailer/lib/mail-composer')]);
else await loadNodemailer();
const c = process.threadCpuUsage(c0);
running = false;
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ which, cpuMs: Math.round((c.user + c.system) / 100) / 10, longestTaskCpuMs: Math.round(longest * 10) / 10, rssDeltaMB: Math.round((process.memoryUsage().rss - rss0) / 1e5) / 10 }));

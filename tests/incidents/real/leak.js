// leak: a session cache that is never evicted, with winston-like JSON logs,
// run with a small --max-old-space-size until V8 gives up.
'use strict';
const cache = new Map();
let n = 0;
function log(level, message, extra) {
  console.log(JSON.stringify({ level, message, timestamp: new Date().toISOString(), ...extra }));
}
log('info', 'session cache started', { pid: process.pid });
setInterval(() => {
  for (let i = 0; i < 2000; i++) {
    n++;
    cache.set('session-' + n, { id: n, payload: 'x'.repeat(512) + n, seen: [Date.now()] });
  }
  const heap = process.memoryUsage().heapUsed;
  log('info', 'sessions cached', { sessions: cache.size, heapUsed: heap });
  if (heap > 24 * 1024 * 1024)
    log('warn', 'heap above 24 MiB', { heapUsed: heap });
}, 100);

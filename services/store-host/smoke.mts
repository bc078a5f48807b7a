import pino from 'pino';
import { BiListener } from './src/bi';
const l = new BiListener({ host: '127.0.0.1', port: 18124, user: 'bi', password: 'pw', dataDir: '/tmp/bi-smoke-chdb', maxRunning: 2, maxQueued: 4, maxExecutionTimeS: 5, maxResultBytes: 1e8 }, pino({ level: 'debug' }));
await l.start();
console.log('up', l.url);
setTimeout(() => { void l.stop().then(() => process.exit(0)); }, 60_000);

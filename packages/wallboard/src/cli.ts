// `npm run build:wallboard` (and scripts/run.mjs before `npm start` / `npm test`, the Dockerfile):
// builds the wallboard into packages/wallboard/dist.
import { buildWallboard } from './build-entry';

const r = await buildWallboard(process.argv[2]);
console.error(`[switchboard] wallboard built in ${r.ms} ms: ${r.files.join(', ')} (${Math.round(r.bytes / 1024)} kB) in ${r.dir}`);

import { generateFleet, SimState } from './sim/index.ts';
let t = performance.now();
const fleet = generateFleet({ groups: 10000, serversPerGroup: 20, seed: 42 });
console.log('generate', ((performance.now() - t) / 1000).toFixed(2), fleet.sessions?.length);
t = performance.now();
const st = new SimState(); st.load(fleet);
console.log('load', ((performance.now() - t) / 1000).toFixed(2));
console.log('heap MB', Math.round(process.memoryUsage().heapUsed / 1e6));

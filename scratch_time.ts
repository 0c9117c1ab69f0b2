import { Database } from './src/db/database.js';
import { executeActionsFromTags } from './src/shield/executeActions.js';
import { writerFor } from './src/shield/writers/index.js';
import { rpcWriter } from './src/shield/writers/rpc.js';
const db = Database.connect('postgres://postgres:postgres@127.0.0.1:5432/api_scratch', { max: 1, preparedStatements: true });
const org = '00000000-0000-0000-0000-000000000001';
const run = Date.now().toString(36);
async function time(name: string, n: number, f: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await f(-i - 1);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f(i);
  console.log(name, ((performance.now() - t0) / n).toFixed(2), 'ms');
}
const tags = ['hide_comment', 'add_strike_1', 'check_reincidence'];
for (let round = 0; round < 2; round++) {
await time('atomic fn', 300, (i) => rpcWriter.recordViolation(db, { organizationId: org, platform: 'twitter', platformUserId: `u${i % 500}` }, { severity: 'critical', toxicityScore: 0.9, commentId: `${run}a${round}c${i}`, actionTags: tags }));
await time('service rpc', 300, (i) => executeActionsFromTags({ db, writer: writerFor('rpc') }, org, { id: `${run}b${round}c${i}`, platform: 'twitter', platform_user_id: `u${i % 500}` }, tags, { toxicity_score: 0.9 }));
await time('service action', 300, (i) => executeActionsFromTags({ db, writer: writerFor('action') }, org, { id: `${run}d${round}c${i}`, platform: 'twitter', platform_user_id: `u${i % 500}` }, tags, { toxicity_score: 0.9 }));
}
await db.close();

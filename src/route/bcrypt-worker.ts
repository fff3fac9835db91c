// Runs bcrypt comparisons off the event loop (issue 13): at cost 11 one compare takes 100+ ms of
// CPU, and on the main thread a flood of wrong passwords delayed every route. One request at a
// time; the main thread (src/route/auth.ts) bounds how many wait.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface CompareRequest { id: number; password: string; hash: string }
export interface CompareReply { id: number; ok: boolean }

parentPort?.on('message', (req: CompareRequest) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(req.password, req.hash);
  } catch {
    ok = false; // a malformed hash never matches
  }
  parentPort!.postMessage({ id: req.id, ok } satisfies CompareReply);
});

// Seeded PRNG (mulberry32) so random tests are deterministic and failures reproducible.
export function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

export function randomSubject(rnd: () => number, tokens: readonly string[], maxLen = 4): string {
  const n = 1 + Math.floor(rnd() * maxLen);
  const ts: string[] = [];
  for (let i = 0; i < n; i++) ts.push(pick(rnd, tokens));
  return ts.join('.');
}

export function randomPattern(rnd: () => number, tokens: readonly string[], maxLen = 4): string {
  const n = 1 + Math.floor(rnd() * maxLen);
  const ts: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (i === n - 1 && r < 0.15) ts.push('>');
    else if (r < 0.3) ts.push('*');
    else ts.push(pick(rnd, tokens));
  }
  return ts.join('.');
}

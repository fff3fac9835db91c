import t from 'tap';
import {
  isLiteralSubject,
  isValidLiteralSubject,
  isValidQueueName,
  isValidSubject,
  subjectMatches,
  subjectMatchesFast,
} from '../../src/interest/subject.js';
import { prng } from './prng.js';

t.test('isValidSubject', async (t) => {
  const valid = ['foo', 'foo.bar', '*', '>', 'foo.*', 'foo.>', '*.*.>', 'foo*.bar', 'foo.>bar', 'a.b>.c', '$G', '_INBOX.x.y', 'foo.*.baz', '*.>'];
  const invalid = ['', '.', 'foo.', '.foo', 'foo..bar', '>.foo', 'foo.>.bar', 'foo bar', 'foo\tbar', 'foo.\n', ' ', 'a.\r', 'a\fb', '>.>', 'foo.*.>.x'];
  for (const s of valid) t.ok(isValidSubject(s), `valid ${JSON.stringify(s)}`);
  for (const s of invalid) t.notOk(isValidSubject(s), `invalid ${JSON.stringify(s)}`);
});

t.test('isValidLiteralSubject / isLiteralSubject', async (t) => {
  for (const s of ['foo', 'foo.bar', 'foo*.bar', 'a.>b', '*a', 'a*', '>>']) t.ok(isValidLiteralSubject(s), s);
  for (const s of ['*', '>', 'foo.*', 'foo.>', '*.bar', 'a.*.b', '', 'a..b', 'a b', 'a.']) {
    t.notOk(isValidLiteralSubject(s), JSON.stringify(s));
  }
  t.notOk(isLiteralSubject('a.*.b'));
  t.ok(isLiteralSubject('a.**.b'));
});

t.test('isValidQueueName', async (t) => {
  for (const q of ['q', 'workers', 'a.b', 'q*', '>']) t.ok(isValidQueueName(q), q);
  for (const q of ['', 'a b', 'a\tb', '\n']) t.notOk(isValidQueueName(q), JSON.stringify(q));
});

t.test('subjectMatches', async (t) => {
  const yes: [string, string][] = [
    ['foo', 'foo'],
    ['*', 'foo'],
    ['>', 'foo'],
    ['>', 'foo.bar.baz'],
    ['foo.*', 'foo.bar'],
    ['foo.>', 'foo.bar'],
    ['foo.>', 'foo.bar.baz'],
    ['*.bar', 'foo.bar'],
    ['*.*', 'a.b'],
    ['foo.*.baz', 'foo.x.baz'],
    ['*.>', 'a.b'],
    ['foo*', 'foo*'],
  ];
  const no: [string, string][] = [
    ['foo', 'bar'],
    ['foo', 'foo.bar'],
    ['foo.bar', 'foo'],
    ['*', 'foo.bar'],
    ['foo.*', 'foo'],
    ['foo.*', 'foo.bar.baz'],
    ['foo.>', 'foo'],
    ['*.>', 'a'],
    ['foo.*.baz', 'foo.x.bar'],
    ['foo*', 'foox'],
    ['fo', 'foo'],
    ['foo', 'fo'],
  ];
  for (const [p, s] of yes) {
    t.ok(subjectMatches(p, s), `${p} ~ ${s}`);
    t.ok(subjectMatchesFast(p, s), `fast ${p} ~ ${s}`);
  }
  for (const [p, s] of no) {
    t.notOk(subjectMatches(p, s), `${p} !~ ${s}`);
    t.notOk(subjectMatchesFast(p, s), `fast ${p} !~ ${s}`);
  }
});

t.test('subjectMatchesFast agrees with the reference on random input', async (t) => {
  const rnd = prng(42);
  const lits = ['a', 'b', 'ab', 'c', 'bb'];
  const tok = () => lits[Math.floor(rnd() * lits.length)];
  const subject = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, tok).join('.');
  const pattern = () => {
    const n = 1 + Math.floor(rnd() * 4);
    const ts: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (i === n - 1 && r < 0.2) ts.push('>');
      else if (r < 0.45) ts.push('*');
      else ts.push(tok());
    }
    return ts.join('.');
  };
  let mismatches = 0;
  let matches = 0;
  for (let i = 0; i < 20000; i++) {
    const p = pattern();
    const s = subject();
    const ref = subjectMatches(p, s);
    if (ref) matches++;
    if (subjectMatchesFast(p, s) !== ref) {
      mismatches++;
      if (mismatches < 5) t.fail(`mismatch ${p} vs ${s}: ref=${ref}`);
    }
  }
  t.equal(mismatches, 0);
  t.ok(matches > 1000, `enough positive cases (${matches})`);
});

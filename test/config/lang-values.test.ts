// The [RUN] examples of config-format.md §1: values, strings, numbers, variables, environment typing.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { toPlain, type ConfMap } from '../../src/config/tree.js';

const plain = (text: string, env: Record<string, string> = {}): unknown => toPlain(parseConfigText(text, 'x.conf', { env }));
const one = (value: string, env: Record<string, string> = {}): unknown => (plain(`v: ${value}\n`, env) as { v: unknown }).v;
const typeOf = (m: ConfMap, k: string): string => m.entries.get(k)!.value.type;

t.test('separators, terminators, comments and whitespace (§1.2-1.5)', async (t) => {
  t.same(plain('a = 1; b: 2, c 3'), { a: 1, b: 2, c: 3 });
  t.same(plain('c\n  3'), { c: 3 }, 'no separator: the value may be on the next line');
  t.same(plain('a = 1\r\nb = 2\r\n'), { a: 1, b: 2 }, 'CRLF');
  t.same(plain('# c1\n// c2\na: 1 # tail\nb: 2 // tail\n'), { a: 1, b: 2 });
  t.same(plain('k: unquoted#notcomment\nu: nats://h:1//x\nv: value // comment'), { k: 'unquoted#notcomment', u: 'nats://h:1//x', v: 'value' });
  t.same(plain('{\n  a: 1\n  b { c: 2 }\n}\n'), { a: 1, b: { c: 2 } }, 'whole file wrapped in braces');
  t.same(plain('a: 1}\nb: 2'), { a: 1, b: 2 }, 'stray } after a value');
  t.same(plain('"quoted key": 1\n\'raw\\tkey\' = 2\nm { "in map": 3, \'x y\': 4 }'),
    { 'quoted key': 1, 'raw\\tkey': 2, m: { 'in map': 3, 'x y': 4 } });
  t.same(plain('Port: 1\nport: 2'), { Port: 1, port: 2 }, 'keys are case-sensitive');
  t.same(plain('a = '), { a: '' }, 'a value that hits EOF is the empty string');
  t.same(plain('\u00a0a: 1\n\u000bb: 2'), { a: 1, b: 2 }, 'any Unicode space is skipped between entries');
});

t.test('unquoted, quoted and block strings (§1.7)', async (t) => {
  t.equal(one('localhost:4244'), 'localhost:4244');
  t.equal(one('nats://user:pwd@127.0.0.1:4245'), 'nats://user:pwd@127.0.0.1:4245');
  t.equal(one('unq\\x41uoted'), 'unqAuoted', 'escapes work in unquoted strings');
  t.equal(one('yes\\x21'), 'yes!', 'an escaped unquoted string is never a bool');
  t.equal(one('"a\\tb\\nc\\rd\\"e\\\\f\\x41"'), 'a\tb\nc\rd"e\\fA');
  t.equal(one('"\\xc3\\xa9"'), 'é', '\\x inserts raw bytes');
  t.equal(one('"multi\nline"'), 'multi\nline');
  t.equal(one("'a\\tb'"), 'a\\tb', 'single quotes are raw');
  t.equal(one("''"), '');
  t.equal(one('""'), '');
  t.equal(one('"true"'), 'true');
  t.equal(one('"$FOO"'), '$FOO');
  t.equal(one('pre$FOO'), 'pre$FOO');
  t.same(plain('x: (\nmulti line\n  block )\n)\n'), { x: '\nmulti line\n  block )\n' });
  t.same(plain('x: (\nend at eof\n)'), { x: '\nend at eof\n' }, 'the closing ) is not part of the value');
  t.same(plain('x: (\n  )\n)\ny: 1\n'), { x: '\n  )\n', y: 1 }, 'an indented ) does not close');
  const m = parseConfigText('s: "x"\nb: true\n', 'x.conf');
  t.equal(typeOf(m, 's'), 'string');
  t.equal(typeOf(m, 'b'), 'bool');
});

t.test('integers and size suffixes (§1.8.1)', async (t) => {
  const table: Array<[string, number]> = [
    ['1k', 1000], ['1K', 1000], ['1kb', 1024], ['1KB', 1024], ['1ki', 1024], ['1KiB', 1024],
    ['1m', 1e6], ['1MB', 1048576], ['1mi', 1048576], ['1mib', 1048576], ['64mb', 67108864], ['64K', 64000],
    ['1g', 1e9], ['1gb', 1073741824], ['2GiB', 2147483648], ['1t', 1e12], ['1tb', 1024 ** 4], ['1TiB', 1024 ** 4],
    ['1p', 1e15], ['1pb', 1024 ** 5], ['1Pi', 1024 ** 5], ['1e', 1e18], ['1eb', 2 ** 60], ['1EiB', 2 ** 60],
    ['-2k', -2000], ['007', 7], ['0', 0], ['-5', -5], ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ];
  for (const [text, want] of table) {
    const m = parseConfigText(`v: ${text}`, 'x.conf');
    t.equal(toPlain(m.entries.get('v')!.value), want, text);
    t.equal(typeOf(m, 'v'), 'int', `${text} is an int`);
  }
  t.equal(one('0x1F'), '0x1F');
  t.equal(one('10ms'), '10ms');
  t.equal(one('1kx'), '1kx');
  t.equal(one('5x'), '5x');
  t.equal(one('3secret'), '3secret');
  t.equal(one('4244abc'), '4244abc');
});

t.test('floats, IP-like strings and datetimes (§1.8.3)', async (t) => {
  const m = parseConfigText('a: 1.2\nb: -0.5\nc: 127.0.0.1\nd: 127.0.0.1:4222\ne: 127.0.0.1:-1\nf: 1.2.3\n', 'x.conf');
  t.same(toPlain(m), { a: 1.2, b: -0.5, c: '127.0.0.1', d: '127.0.0.1:4222', e: '127.0.0.1:-1', f: '1.2.3' });
  t.equal(typeOf(m, 'a'), 'float');
  t.equal(typeOf(m, 'c'), 'string');
  const d = parseConfigText('when: 2016-05-04T10:11:12Z', 'x.conf');
  t.equal(typeOf(d, 'when'), 'datetime');
  t.equal((toPlain(d) as { when: Date }).when.toISOString(), '2016-05-04T10:11:12.000Z');
});

t.test('booleans (§1.10)', async (t) => {
  const words: Array<[string, boolean]> = [
    ['true', true], ['TRUE', true], ['True', true], ['yes', true], ['YES', true], ['on', true], ['On', true],
    ['false', false], ['FALSE', false], ['no', false], ['No', false], ['off', false], ['OFF', false],
  ];
  for (const [w, b] of words) t.equal(one(w), b, w);
  t.equal(one('enabled'), 'enabled');
  t.equal(one('disabled'), 'disabled');
});

t.test('arrays and maps (§1.11)', async (t) => {
  t.same(plain('a: [1,2,]'), { a: [1, 2] }, 'trailing comma (the last value is followed by ,)');
  t.same(plain('a: [\n  1\n  2 # c\n  // c\n  x\n]'), { a: [1, 2, 'x'] });
  t.same(plain('a: [ 1, "two", [3 ], { k: v } ]'), { a: [1, 'two', [3], { k: 'v' }] });
  t.same(plain('m { a: 1, b: 2, }'), { m: { a: 1, b: 2 } });
  t.same(plain('m { a: 1; b: 2 }'), { m: { a: 1, b: 2 } });
  t.same(plain('m = { a = 1 }\nn: { b 2 }'), { m: { a: 1 }, n: { b: 2 } });
  t.same(plain('a: []\nb: {}'), { a: [], b: {} });
  t.same(plain('c { x: 1 }\nc { y: 2 }'), { c: { y: 2 } });
  t.same(plain('a: 1\na: 2'), { a: 2 });
});

t.test('variables (§1.12)', async (t) => {
  t.same(plain('a: 1\nm { a: 2, b: $a }\nc: $a'), { a: 1, m: { a: 2, b: 2 }, c: 1 }, 'innermost map first');
  t.same(plain('v: 5\nl: [ $v, 2 ]'), { v: 5, l: [5, 2] }, 'arrays are skipped, elements may be variables');
  t.same(plain('m { x: 1 }\nn: $m'), { m: { x: 1 }, n: { x: 1 } }, 'a variable can hold a map');
  t.same(plain('V: [1, 2 ]\nn: $V'), { V: [1, 2], n: [1, 2] });
  t.same(plain('h: $2a$11$abc'), { h: '$2a$11$abc' }, 'unquoted bcrypt is a literal');
  const m = parseConfigText('x: 1\ny: 2\nz: $x', 'x.conf', { env: {} });
  t.equal(m.entries.get('x')!.usedAsVariable, true);
  t.equal(m.entries.get('y')!.usedAsVariable, false);
  t.same(plain('X: 1\ny: $X', { X: '99' }), { X: 1, y: 1 }, 'keys win over the environment');
  t.same(plain('a: $E1', { E1: '$E2', E2: '7' }), { a: 7 }, 'env values may reference other env values');
});

t.test('environment values are parsed as config text (§1.12 table)', async (t) => {
  const table: Array<[string, unknown, string]> = [
    ['42', 42, 'int'], ['1MB', 1048576, 'int'], ['yes', true, 'bool'], ['2s', '2s', 'string'],
    ['[a, b]', ['a', 'b'], 'array'], ['3xyz', '3xyz', 'string'], ["'3xyz'", '3xyz', 'string'],
    ['"a b"', 'a b', 'string'], ['', '', 'string'], ['1.5', 1.5, 'float'],
  ];
  for (const [env, want, type] of table) {
    const m = parseConfigText('v: $E', 'x.conf', { env: { E: env } });
    t.same(toPlain(m), { v: want }, `E=${JSON.stringify(env)}`);
    t.equal(typeOf(m, 'v'), type, `E=${JSON.stringify(env)} type`);
    t.equal(m.entries.get('v')!.value.pos.line, 1);
    t.equal(m.entries.get('v')!.value.pos.column, 4, 'env values point at the reference');
  }
  t.throws(() => parseConfigText('v: $E', 'x.conf', { env: { E: 'a b' } }), {
    code: 'ERR_CONFIG_PARSE',
    message: `x.conf:1:4: variable reference for 'E' on line 1 could not be parsed: Expected a top-level value to end with a new line, comment or EOF, but got 'b' instead.`,
  });
  t.throws(() => parseConfigText('v: $E', 'x.conf', { env: { E: undefined } as unknown as Record<string, string> }), {
    message: `x.conf:1:4: variable reference for 'E' on line 1 can not be found`,
  });
});

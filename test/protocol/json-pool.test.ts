// parseInfo / parseConnect type checks (Go decoder behaviour) and the pool index vectors of §3.5.
import t from 'tap';
import { parseConnect, parseInfo } from '../../src/protocol/json.js';
import { computeRoutePoolIdx, fnv1a32 } from '../../src/protocol/pool-index.js';

t.test('pool index vectors (§3.5)', async (t) => {
  const vectors: [string, number, number, number][] = [
    ['$G', 2059166108, 2, 3],
    ['$SYS', 47606520, 0, 0],
    ['A', 3289118412, 0, 2],
    ['B', 3339451269, 0, 4],
    ['ACC', 2223418618, 1, 3],
  ];
  for (const [acc, hash, mod3, mod5] of vectors) {
    t.equal(fnv1a32(acc), hash, `fnv1a32(${acc})`);
    t.equal(computeRoutePoolIdx(3, acc), mod3, `${acc} mod 3`);
    t.equal(computeRoutePoolIdx(5, acc), mod5, `${acc} mod 5`);
    t.equal(computeRoutePoolIdx(1, acc), 0, `${acc}: pool of 1`);
    t.equal(computeRoutePoolIdx(0, acc), 0, `${acc}: no pool`);
    t.equal(computeRoutePoolIdx(-1, acc), 0, `${acc}: pooling disabled`);
  }
  t.equal(fnv1a32(''), 2166136261, 'offset basis');
});

const INFO_2_9_10 =
  '{"server_id":"NDYL","server_name":"A","version":"2.9.10","proto":2,"go":"go1.19.8","host":"127.0.0.1","port":16222,"headers":true,"auth_required":true,"max_payload":1048576,"nonce":"AHONX7iKMcevSHY","cluster":"C1","connect_urls":["127.0.0.1:4222"],"lnoc":true}';

t.test('parseInfo accepts what Go accepts', async (t) => {
  t.strictSame(parseInfo(INFO_2_9_10), JSON.parse(INFO_2_9_10));
  t.strictSame(parseInfo(' {"server_id":"X"} '), { server_id: 'X' }, 'surrounding blanks');
  t.strictSame(parseInfo('{"port":1}'), { server_id: '', port: 1 }, "missing server_id is Go's zero value");
  t.strictSame(parseInfo('{"server_id":"X","Port":5,"SERVER_NAME":"n"}'), { server_id: 'X', port: 5, server_name: 'n' }, 'keys match case-insensitively');
  t.strictSame(parseInfo('{"server_id":"X","port":null,"connect_urls":null}'), { server_id: 'X' }, 'null leaves a field unset');
  t.strictSame(parseInfo('{"server_id":"X","connect_urls":["a",null]}'), { server_id: 'X', connect_urls: ['a', ''] });
  t.strictSame(parseInfo('{"server_id":"X","whatever":{"x":[1]},"gateway_urls":["g"]}'), { server_id: 'X', whatever: { x: [1] }, gateway_urls: ['g'] }, 'unknown fields kept');
  t.strictSame(parseInfo('{"server_id":"X","import":{"allow":["a"],"Deny":["b"],"x":1}}'), { server_id: 'X', import: { allow: ['a'], deny: ['b'], x: 1 } });
  t.strictSame(parseInfo('{"server_id":"X","nrp":{"v":1,"site":"eu"}}'), { server_id: 'X', nrp: { v: 1, site: 'eu' } });
  const gw = parseInfo('{"server_id":"X","gateway_cmd":2,"gateway_cmd_payload":"aGk="}') as unknown as Record<string, unknown>;
  t.equal(gw.gateway_cmd_payload, 'aGk=', 'gateway fields decode');
  t.equal(Object.getPrototypeOf(parseInfo('{"server_id":"X","__proto__":{"polluted":1}}')), Object.prototype, 'no prototype injection');
});

t.test('parseInfo throws where Go fails to decode', async (t) => {
  const bad: [string, string][] = [
    ['{"server_id":"X","port":"6222"}', 'port as string'],
    ['{"server_id":"X","PORT":"6222"}', 'port as string, other case'],
    ['{"server_id":1}', 'server_id as number'],
    ['{"server_id":"X","headers":"true"}', 'bool as string'],
    ['{"server_id":"X","proto":1.5}', 'fractional int'],
    ['{"server_id":"X","max_payload":2147483648}', 'int32 overflow'],
    ['{"server_id":"X","gossip_mode":256}', 'byte overflow'],
    ['{"server_id":"X","gossip_mode":-1}', 'negative byte'],
    ['{"server_id":"X","client_id":-1}', 'negative uint64'],
    ['{"server_id":"X","connect_urls":"h:4222"}', 'string for []string'],
    ['{"server_id":"X","connect_urls":[1]}', 'number in []string'],
    ['{"server_id":"X","import":{"allow":"a"}}', 'permission list as string'],
    ['{"server_id":"X","export":[]}', 'permission as array'],
    ['{"server_id":"X","gateway_cmd_payload":"***"}', 'bad base64 for []byte'],
    ['{"server_id":"X","nrp":{"v":"1"}}', 'nrp version as string'],
    ['{"server_id":"X","nrp":{}}', 'nrp without version'],
    ['{"server_id":"X"', 'truncated JSON'],
    ['', 'empty'],
    ['[]', 'array'],
    ['null', 'null'],
    ['"x"', 'string'],
  ];
  for (const [json, what] of bad) t.throws(() => parseInfo(json), what);
});

t.test('parseConnect', async (t) => {
  const captured =
    '{"echo":true,"verbose":false,"pedantic":false,"user":"ruser","pass":"rpass","tls_required":false,"headers":true,"name":"NDYL","cluster":"C1","lnoc":true}';
  t.strictSame(parseConnect(captured), JSON.parse(captured));
  t.strictSame(parseConnect('{"lang":"go","version":"1.0","protocol":1}'), { lang: 'go', version: '1.0', protocol: 1 }, 'client fields decode');
  t.strictSame(parseConnect('{"Gateway":"g"}'), { gateway: 'g' });
  const bad: [string, string][] = [
    ['{"user":1}', 'user as number'],
    ['{"protocol":"1"}', 'protocol as string'],
    ['{"echo":"yes"}', 'echo as string'],
    ['{"lnoc":1}', 'lnoc as number'],
    ['{"cluster":["C1"]}', 'cluster as array'],
    ['{"import":{"deny":[true]}}', 'bad permission entry'],
    ['{"nrp":1}', 'nrp as number'],
    ['nope', 'not JSON'],
  ];
  for (const [json, what] of bad) t.throws(() => parseConnect(json), what);
});

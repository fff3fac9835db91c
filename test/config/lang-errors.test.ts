// Malformed NATS-language inputs: each asserts the exact message (nats-server's wording, plus our
// clear errors where nats-server misbehaves) AND the file:line:col it points at (1-based columns).
import t from 'tap';
import { ProxyError } from '../../src/errors.js';
import { parseConfigText } from '../../src/config/load.js';

const ENV = { A: '$B', B: '$A', S: 'a b' };

// [input, 'line:col', message]
const CASES: Array<[string, string, string]> = [
  ["a:\n  1", '1:3', "Expected value but found new line"],
  ["name: my cluster", '1:10', "Expected a top-level value to end with a new line, comment or EOF, but got 'c' instead."],
  ["cluster {\n  name: my cluster\n}", '2:12', "Expected a map value terminator \",\" or a map terminator \"}\", but got 'c' instead."],
  ["cluster{ port: 1 }", '1:16', "Expected a top-level value to end with a new line, comment or EOF, but got '1' instead."],
  ["key_no_value", '1:1', "config is invalid: key 'key_no_value' has no value"],
  ["cluster {\n key_only\n}", '2:2', "key 'key_only' has no value before '}'"],
  ["a: 1;;", '1:6', "config is invalid: key ';' has no value"],
  ["=a", '1:1', "Unexpected key separator '='"],
  ["a { =b }", '1:5', "Unexpected key separator '='."],
  ["a { ] }", '1:5', "Unexpected array end ']' processing map."],
  ["a { b", '1:6', "Unexpected EOF processing map key."],
  ["a { 'b", '1:7', "Unexpected EOF processing quoted map key."],
  ["a { \"b", '1:7', "Unexpected EOF processing double quoted map key."],
  ["a { b: 1", '1:9', "Expected a map value terminator \",\" or a map terminator \"}\", but got 'EOF' instead."],
  ["\"key", '1:5', "Unexpected EOF."],
  ["a: \"x", '1:6', "Unexpected EOF."],
  ["a: 'x", '1:6', "Unexpected EOF."],
  ["a: abc'def", '1:8', "Expected a top-level value to end with a new line, comment or EOF, but got 'd' instead."],
  ["listen: [::1]:4244", '1:14', "Expected a top-level value to end with a new line, comment or EOF, but got ':' instead."],
  ["a: .5", '1:4', "Floats must start with a digit"],
  ["a: -.5", '1:5', "Floats must start with a digit, not '.'."],
  ["a: 1.", '1:6', "Floats must have a digit after the '.', but got 'EOF' instead."],
  ["a: -x", '1:5', "Expected a digit but got 'x'."],
  ["a: 1.5s", '1:7', "Expected a top-level value to end with a new line, comment or EOF, but got 's' instead."],
  ["a: 1m30s", '1:6', "Expected a top-level value to end with a new line, comment or EOF, but got '3' instead."],
  ["a: 1e5", '1:6', "Expected a top-level value to end with a new line, comment or EOF, but got '5' instead."],
  ["a: 12-34", '1:6', "All ISO8601 dates must be in full Zulu form."],
  ["a: 2016-05-04 ", '1:14', "Expected 'T' in ISO8601 datetime, but found ' ' instead."],
  ["a: 2016-0a", '1:10', "Expected digit in ISO8601 datetime, but found 'a' instead."],
  ["a: 2016-05-04T10:11:12", '1:23', "Expected 'Z' in ISO8601 datetime, but found 'EOF' instead."],
  ["a: 2016-13-04T10:11:12Z", '1:4', "expected Zulu formatted DateTime, but got '2016-13-04T10:11:12Z'"],
  ["a: \"\\q\"", '1:6', "Invalid escape character 'q'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\."],
  ["a: \"\\xzz\"", '1:7', "Expected two hexadecimal digits after '\\x', but got 'zz'"],
  ["a: \"\\x\n\"", '1:7', "Expected two hexadecimal digits after '\\x', but hit end of line"],
  ["a: [,1]", '1:5', "Unexpected array value terminator ','."],
  ["a: [1,,2]", '1:7', "Unexpected array value terminator ','."],
  ["a: [1\n, 2]", '2:1', "Unexpected array value terminator ','."],
  ["a: [1 2 ]", '1:7', "Expected an array value terminator \",\" or an array terminator \"]\", but got '2' instead."],
  ["a {b: 1 c: 2}", '1:9', "Expected a map value terminator \",\" or a map terminator \"}\", but got 'c' instead."],
  ["a { b: , }", '1:8', "Unexpected map value terminator \",\"."],
  ["a: (\nfoo\n  )", '3:4', "Unexpected EOF processing block."],
  ["a: (\r\nfoo\r\n)\r\n", '4:1', "Unexpected EOF processing block. (the closing ')' must be alone on its line; a CRLF line ending after it does not close the block)"],
  ["include [x]", '1:9', "Expected include value but found start of an array"],
  ["include {", '1:9', "Expected include value but found start of a map"],
  ["include (", '1:9', "Expected include value but found start of a block"],
  ["include 1.conf", '1:9', "Expected include value but found start of a number"],
  ["include \\x", '1:9', "Expected include value but found escape sequence"],
  ["include\n", '1:8', "Expected include value but found new line"],
  ["include \"x", '1:11', "Unexpected EOF in double quoted include"],
  ["include 'x", '1:11', "Unexpected EOF in quoted include"],
  ["a: 1kbb", '1:4', "invalid size suffix in '1kbb': use k, m, g, t, p or e, optionally followed by b, i or ib"],
  ["cluster { a: 1kbb, b: 2 }", '1:14', "invalid size suffix in '1kbb': use k, m, g, t, p or e, optionally followed by b, i or ib"],
  ["a: 9999999999999999E", '1:4', "integer '9999999999999999E' is out of the range"],
  ["a: 99999999999999999999", '1:4', "integer '99999999999999999999' is out of the range"],
  ["a: 9007199254740993", '1:4', "integer '9007199254740993' is out of the range"],
  ["a: $nope", '1:4', "variable reference for 'nope' on line 1 can not be found"],
  ["m { inner: 5 }\nx: $inner", '2:4', "variable reference for 'inner' on line 2 can not be found"],
  ["a: $b\nb: 1", '1:4', "variable reference for 'b' on line 1 can not be found"],
  ["a: $A", '1:4', "variable reference for 'A' on line 1 could not be parsed: variable reference for 'B' on line 1 could not be parsed: variable reference for 'A' on line 1 could not be parsed: variable reference cycle for 'A'"],
  ["a: $S", '1:4', "variable reference for 'S' on line 1 could not be parsed: Expected a top-level value to end with a new line, comment or EOF, but got 'b' instead."],
  ["a: $2b$10$abc", '1:4', "variable reference for '2b$10$abc' on line 1 can not be found"],
  ["a: [5]\nb: 1", '2:4', "Expected an array value terminator \",\" or an array terminator \"]\", but got '1' instead. (an integer directly before ']' is read as text by nats-server, see '5]' at 1:5; write '[1, 2 ]')"],
  ["a: [1, 2]\n", '2:1', "Expected an array value terminator \",\" or an array terminator \"]\", but got 'EOF' instead. (an integer directly before ']' is read as text by nats-server, see '2]' at 1:8; write '[1, 2 ]')"],
  ["{\"a\": [1, 2], \"b\": 3}", '1:18', "Expected an array value terminator \",\" or an array terminator \"]\", but got ':' instead. (an integer directly before ']' is read as text by nats-server, see '2]' at 1:11; write '[1, 2 ]')"],
  ["{ a: 1 x }", '1:8', "Expected a block-level value to end with a new line, comment or EOF, but got 'x' instead."],
  ["/ x", '1:1', "Unexpected EOF."],
  ["a: [1 / 2]", '1:11', "Expected an array value terminator \",\" or an array terminator \"]\", but got 'EOF' instead. (an integer directly before ']' is read as text by nats-server, see '2]' at 1:9; write '[1, 2 ]')"],
  ["cluster {\n  port: 6222\n  authorization {\n    user: a b\n  }\n}", '4:13', "Expected a map value terminator \",\" or a map terminator \"}\", but got 'b' instead."],
  ["cluster {\n  routes = [\n    nats://a:1\n    nats://b:2 nats://c:3\n  ]\n}", '4:16', "Expected an array value terminator \",\" or an array terminator \"]\", but got 'n' instead."],
  ["a: 1\nb: x\n  c: 3 d", '3:8', "Expected a top-level value to end with a new line, comment or EOF, but got 'd' instead."],
];

t.test('malformed inputs: exact message and position', async (t) => {
  t.ok(CASES.length >= 30);
  for (const [input, pos, message] of CASES) {
    let err: unknown;
    try {
      parseConfigText(input, 'bad.conf', { env: ENV });
    } catch (e) {
      err = e;
    }
    if (!(err instanceof ProxyError)) {
      t.fail(`no ProxyError for ${JSON.stringify(input)}: ${String(err)}`);
      continue;
    }
    t.equal(err.code, 'ERR_CONFIG_PARSE', JSON.stringify(input));
    t.equal(err.message, `bad.conf:${pos}: ${message}`, JSON.stringify(input));
  }
});

t.test('positions use the file name given, and an empty name for string sources', async (t) => {
  t.throws(() => parseConfigText('a: [1 2 ]', '/etc/x.conf'), { message: /^\/etc\/x\.conf:1:7: / });
  t.throws(() => parseConfigText('a: [1 2 ]', ''), { message: /^:1:7: / });
});

t.test('a CRLF block string gets a hint', async (t) => {
  t.throws(() => parseConfigText('a: (\r\nfoo\r\n)\r\n', 'crlf.conf'), {
    code: 'ERR_CONFIG_PARSE',
    message: "crlf.conf:4:1: Unexpected EOF processing block. (the closing ')' must be alone on its line; a CRLF line ending after it does not close the block)",
  });
});

// Test helper: the handshake a raw-socket route peer sends the proxy (CONNECT then INFO), as a
// nats-server (or, with `proxy`, as another nats-route-proxy) of cluster c1.
export function hello(id: string, proxy = false): string {
  const ext = proxy ? ',"nrp":{"v":1}' : '';
  return `CONNECT {"verbose":false,"name":"${id}","cluster":"c1"${ext}}\r\n`
    + `INFO {"server_id":"${id}","server_name":"${id}","port":1,"cluster":"c1","headers":true${ext}}\r\n`;
}

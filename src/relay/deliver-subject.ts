// JetStream push deliveries travel with the stream subject and a reply of the form
// `$JS.ACK.<8+ tokens>@<deliver subject>`; receivers match on the deliver subject
// (route-protocol.md §2.7, nats-server client.go:jsAckDeliverIdx).
const JS_ACK_PREFIX = '$JS.ACK.';

export function matchSubject(subject: string, reply: string | undefined): string {
  if (reply === undefined || !reply.startsWith(JS_ACK_PREFIX)) return subject;
  let dots = 0;
  for (let i = 0; i < reply.length; i++) {
    const ch = reply.charCodeAt(i);
    if (ch === 0x2e) dots++;
    else if (ch === 0x40 && dots >= 8) return i < reply.length - 1 ? reply.slice(i + 1) : subject;
  }
  return subject;
}

// Test vectors of config-format.md §6 shared by the language and the options tests.

/** V1: the seed example without comments (must parse exactly). */
export const V1 = `cluster {
  name: example
  listen: localhost:4244
  authorization {
    user: route_user
    password: pwd
    timeout: 0.5
  }
  routes = [
    nats://route_user:pwd@127.0.0.1:4245
    nats://route_user:pwd@127.0.0.1:4246
  ]
}
`;

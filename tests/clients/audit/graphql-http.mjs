// The GraphQL-over-HTTP audit of the `graphql-http` package against a running server.
// Usage: node audit/graphql-http.mjs http://127.0.0.1:PORT/graphql
// Prints every audit; exits 1 when any audit FAILs or WARNs (both count: the server is
// meant to pass the whole audit, recommendations included).
import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? process.env.GRAPHQL_URL;
if (!url) {
  console.error('usage: node audit/graphql-http.mjs <graphql endpoint url>');
  process.exit(2);
}

let failed = 0;
let warned = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const status = result.status === 'ok' ? 'PASS' : result.status === 'warn' ? 'WARN' : 'FAIL';
  if (status === 'FAIL') failed += 1;
  if (status === 'WARN') warned += 1;
  const reason = status === 'PASS' ? '' : ` -- ${result.reason}`;
  console.log(`${status} ${audit.id} ${audit.name}${reason}`);
}
console.log(`graphql-http audit: ${failed} FAIL, ${warned} WARN`);
process.exit(failed + warned > 0 ? 1 : 0);

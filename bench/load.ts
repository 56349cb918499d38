// Runs one autocannon load in its own process, so that generating the load does not
// compete with the servers under test for their event loop. Reads its options as JSON
// from argv[2]; prints the summary as one JSON line.
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  requests: { method: 'POST'; path: string; headers: Record<string, string>; body: string }[];
}

const options = JSON.parse(process.argv[2]) as LoadOptions;
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.duration,
  requests: options.requests,
});
process.stdout.write(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }) + '\n',
);

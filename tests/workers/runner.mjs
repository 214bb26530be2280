// Starts the test Worker (tests/workers/worker.ts, bundled by wrangler) on the local D1 and
// keeps it up until stdin closes: one long-lived workerd for every call of the tests.
//
//   node tests/workers/runner.mjs --config tests/workers/wrangler.toml --persist DIR
//
// DIR is what `wrangler d1 … --local --persist-to DIR` got. Writes one line
// {"ready": true, "url": "http://127.0.0.1:PORT"} once the Worker answers.
import { resolve } from "node:path";
import { unstable_dev } from "wrangler";

function option(name) {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1 || index + 1 >= process.argv.length) throw new Error(`missing --${name}`);
  return process.argv[index + 1];
}

const config = resolve(option("config"));
const worker = await unstable_dev(resolve(config, "..", "worker.ts"), {
  config,
  persistTo: resolve(option("persist")),
  ip: "127.0.0.1",
  local: true,
  logLevel: "warn",
  experimental: { disableExperimentalWarning: true, testMode: true },
});
process.stdout.write(JSON.stringify({ ready: true, url: `http://${worker.address}:${worker.port}` }) + "\n");
process.stdin.resume();
process.stdin.on("end", async () => {
  await worker.stop();
  process.exit(0);
});

// Posts a large body with Node's own `http` client, which writes the whole body before it stops
// to look at the answer, and prints one JSON line: the answer, and how the upload ended.
// Usage: node test/support/node-post.mjs '{"url":"http://127.0.0.1:PORT/cache/lookup","bytes":N,"chunked":false,"headers":{}}'
import http from "node:http";

const { url, bytes, chunked, headers = {} } = JSON.parse(process.argv[2]);
const target = new URL(url);
const request = http.request({
  host: target.hostname,
  port: Number(target.port),
  path: target.pathname,
  method: "POST",
  headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": String(bytes) }), ...headers },
});

const outcome = { status: null, headers: null, body: null, uploadError: null, uploaded: false };
let answered = false;
let uploadDone = false;
const finish = () => {
  if (!answered || !uploadDone) return;
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.exit(0);
};

request.on("response", (response) => {
  outcome.status = response.statusCode;
  outcome.headers = response.headers;
  let body = "";
  response.setEncoding("utf8");
  response.on("data", (piece) => (body += piece));
  response.on("end", () => {
    outcome.body = body;
    answered = true;
    finish();
  });
});
request.on("error", (error) => {
  outcome.uploadError = error.code ?? error.message;
  uploadDone = true;
  // A reset before any answer is the failure this script exists to show.
  answered = true;
  finish();
});

const chunk = Buffer.alloc(64 * 1024, 0x61);
let sent = 0;
function write() {
  while (sent < bytes) {
    const size = Math.min(chunk.length, bytes - sent);
    sent += size;
    if (!request.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
      request.once("drain", write);
      return;
    }
  }
  request.end(() => {
    outcome.uploaded = true;
    uploadDone = true;
    finish();
  });
}
write();

/**
 * nginx (Debian nginx-light) as a caching reverse proxy: the peer of the sidecar's hit paths
 * (proxy-hit in front of the mock LLM, data-plane-nginx in front of POST /cache/lookup). One
 * process (master_process off, so the PID spawned is the PID that serves and is stopped), POSTs
 * cached by URI and body, X-Cache-Status saying HIT or MISS, everything under a temporary
 * directory of the bench work dir. A module the scenarios import, not a server script to spawn.
 */
import { mkdirSync, rmSync } from "node:fs";
import { freePort, SERVER_CORE, spawnPinned, waitForHttp, WORK_DIR, type Child } from "../harness.ts";

/** `location` is the cached path prefix, e.g. "/v1/"; `upstream` is host:port. */
export function nginxConfig(dir: string, port: number, upstream: string, location: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # $request_body exists only when the whole body is in one memory buffer.
  client_body_buffer_size 64k;
  client_max_body_size 64k;
  # Bun closes no keep-alive connection after a number of requests; nginx would after 1000.
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  # Cache hits open the cache file through open_file_cache.
  open_file_cache max=1024 inactive=60s;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=llm:10m max_size=256m inactive=1h use_temp_path=off;
  upstream llm { server ${upstream}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location = /health { return 200 "ok\\n"; }
    location ${location} {
      proxy_pass http://llm;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache llm;
      proxy_cache_methods POST;
      proxy_cache_key "$request_uri|$request_body";
      proxy_cache_valid 200 1h;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }
}
`;
}

/** Starts nginx on the server core in front of `upstream` (host:port); stop() also removes its directory. */
export async function startNginx(upstream: string, location: string): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const dir = `${WORK_DIR}/nginx-${process.pid}-${port}`;
  mkdirSync(dir, { recursive: true });
  const conf = `${dir}/nginx.conf`;
  await Bun.write(conf, nginxConfig(dir, port, upstream, location));
  const child = spawnPinned(SERVER_CORE, ["nginx", "-p", `${dir}/`, "-c", conf, "-e", `${dir}/error.log`]);
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`);
  } catch (error) {
    const log = await Bun.file(`${dir}/error.log`).text().catch(() => "");
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}; nginx error.log: ${log}`);
  }
  return { url, child: { pid: child.pid, process: child.process, stop } };
}

// A small static file server for the repository root, so that demo/ pages can import
// /dist/cnn-webgpu.js. No dependencies: `npm start` and the end-to-end tests both use it.
// It serves files only (no directory listings), never anything outside the repository, and
// with `Cache-Control: no-store` so a rebuilt bundle is picked up on reload.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.wgsl': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** How many ports after the requested one are tried when it is taken. */
const PORT_TRIES = 20;

/**
 * Serves the repository root over HTTP on `host`, starting at `port` and moving to the next ports
 * while one is taken (port 0 lets the system pick a free one). Resolves once listening.
 * @example
 * const { url, close } = await startDemoServer({ port: 0 });
 * console.log(url); // http://127.0.0.1:40123/demo/
 * await close();
 */
export async function startDemoServer({ port = 8080, host = '127.0.0.1' } = {}) {
  const root = await realpath(ROOT);
  const server = createServer((req, res) => {
    handle(root, req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, `500 ${err?.message ?? err}\n`);
      else res.destroy();
    });
  });

  const actual = await listen(server, port, host);
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}/demo/`,
    port: actual,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections?.();
      }),
  };
}

async function listen(server, port, host) {
  const tries = port === 0 ? 1 : PORT_TRIES;
  for (let i = 0; i < tries; i++) {
    const p = port + i;
    try {
      await new Promise((ok, bad) => {
        const onError = (err) => {
          server.off('listening', onListening);
          bad(err);
        };
        const onListening = () => {
          server.off('error', onError);
          ok();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(p, host);
      });
      return server.address().port;
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || i === tries - 1) {
        if (err.code === 'EADDRINUSE') err.message = `ports ${port}–${p} on ${host} are all in use (set PORT to another one)`;
        throw err;
      }
    }
  }
  throw new Error('unreachable');
}

async function handle(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, '405 method not allowed\n');
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(res, 400, '400 bad request\n');
  }
  if (pathname.includes('\0')) return send(res, 400, '400 bad request\n');
  if (pathname === '/') return redirect(res, '/demo/');
  // Hidden files and folders (.git, .ci, node_modules/.bin ...) are not part of any page.
  if (pathname.split('/').some((part) => part.startsWith('.'))) return send(res, 404, `404 not found: ${pathname}\n`);

  // Resolve against the root, then check the real path (symbolic links included) stays inside it.
  const candidate = resolve(root, `.${pathname}`);
  if (!inside(root, candidate)) return send(res, 403, '403 forbidden\n');
  let file;
  let info;
  try {
    file = await realpath(candidate);
    if (!inside(root, file)) return send(res, 403, '403 forbidden\n');
    info = await stat(file);
    if (info.isDirectory()) {
      if (!pathname.endsWith('/')) return redirect(res, `${pathname}/`);
      file = join(file, 'index.html');
      info = await stat(file);
    }
  } catch {
    return send(res, 404, `404 not found: ${pathname}\n`);
  }
  if (!info.isFile()) return send(res, 404, `404 not found: ${pathname}\n`);

  res.writeHead(200, {
    'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  await new Promise((done, bad) => {
    const stream = createReadStream(file);
    stream.on('error', bad);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
}

function inside(root, p) {
  return p === root || p.startsWith(root + sep);
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function redirect(res, location) {
  res.writeHead(302, { Location: encodeURI(location), 'Content-Length': 0 });
  res.end();
}

// `node tools/demo-server.mjs` serves what is already built (npm start builds first).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startDemoServer({ port: Number(process.env.PORT ?? 8080) });
  console.log(`cnn-webgpu demo: ${url}`);
}

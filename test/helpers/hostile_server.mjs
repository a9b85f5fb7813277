// A misbehaving file server for the loader's bad-input tests, as Koa middleware for the test runner's
// dev server. `/hostile/<mode>/<n>/<path>` serves the repository file at <path>, badly:
//   truncate/<n>  the first n bytes, with an honest Content-Length of n (a short file);
//   drop/<n>      the first n bytes under the file's full Content-Length, then the socket is destroyed
//                 (a connection lost in the middle of a download);
//   delay/<ms>    the whole file, after waiting ms milliseconds.
// A file no longer than n comes whole. Relative references resolve under the same prefix, so a
// model.json's shards get the same treatment as the model.json.
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';

const ROUTE = /^\/hostile\/(truncate|drop|delay)\/(\d+)\/(.+)$/;

export function hostileMiddleware(root = process.cwd()) {
  return async function hostile(ctx, next) {
    const m = ROUTE.exec(ctx.path);
    if (!m) return next();
    const [, mode, arg, rest] = m;
    const file = normalize(join(root, decodeURIComponent(rest)));
    if (!file.startsWith(root + sep)) {
      ctx.status = 403;
      return;
    }
    let bytes;
    try {
      bytes = await readFile(file);
    } catch {
      ctx.status = 404;
      return;
    }
    const n = Number(arg);
    const type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    if (mode === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, n));
      ctx.type = type;
      ctx.body = bytes;
      return;
    }
    if (mode === 'truncate' || n >= bytes.length) {
      ctx.type = type;
      ctx.body = bytes.subarray(0, Math.min(n, bytes.length));
      return;
    }
    // drop: bypass Koa so the lie in Content-Length reaches the browser as it is.
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store' });
    res.write(bytes.subarray(0, n), () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

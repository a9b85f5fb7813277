// End-to-end checks of tools/demo-server.mjs from Node: what it serves, what it refuses, its ports.
import { request } from 'node:http';
import { startDemoServer } from '../../tools/demo-server.mjs';

/** A GET with the path sent exactly as written (no URL normalisation of `..`, unlike fetch). */
function get(server, path) {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] ?? '', location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

export const serverTests = [
  {
    name: 'demo server: serves the page, the bundle and the shaders with their MIME types',
    async run({ server }) {
      expect(new URL(server.url).pathname === '/demo/', `url ${server.url} should point at /demo/`);
      const root = await get(server, '/');
      expect(root.status === 302 && root.location === '/demo/', `GET / gave ${root.status} → ${root.location}, expected a redirect to /demo/`);
      const cases = [
        ['/demo/', 'text/html'],
        ['/demo/main.js', 'text/javascript'],
        ['/demo/style.css', 'text/css'],
        ['/dist/cnn-webgpu.js', 'text/javascript'],
        ['/shaders/elementwise.wgsl', 'text/plain'],
        ['/package.json', 'application/json'],
      ];
      for (const [path, type] of cases) {
        const res = await get(server, path);
        expect(res.status === 200, `GET ${path} gave ${res.status}`);
        expect(res.type.startsWith(type), `GET ${path} has Content-Type ${res.type}, expected ${type}`);
      }
    },
  },
  {
    name: 'demo server: answers 404 for missing files and never serves outside the repository',
    async run({ server }) {
      const missing = await get(server, '/demo/no-such-file.js');
      expect(missing.status === 404, `a missing file gave ${missing.status}, expected 404`);
      for (const path of ['/../../../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/demo/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd', '/.git/HEAD']) {
        const res = await get(server, path);
        expect(res.status >= 400 && res.status < 500, `GET ${path} gave ${res.status}, expected a 4xx`);
        expect(!res.body.includes('root:') && !res.body.startsWith('ref:'), `GET ${path} leaked a file outside the served tree`);
      }
    },
  },
  {
    name: 'demo server: moves to the next port when the asked one is taken',
    async run({ server }) {
      const taken = Number(new URL(server.url).port);
      const other = await startDemoServer({ port: taken });
      try {
        const port = Number(new URL(other.url).port);
        expect(port > taken && port <= taken + 20, `asked for taken port ${taken}, got ${port}`);
        const res = await get(other, '/demo/');
        expect(res.status === 200, `the second server answered ${res.status}`);
      } finally {
        await other.close();
      }
    },
  },
];

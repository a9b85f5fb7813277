// Finds a Chrome or Chromium for the tests and the command-line tools.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];
const PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** CHROME_PATH, then the usual install places, then the PATH; prints how to install one if none. */
export function findChrome({ quiet = false } = {}) {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    if (!quiet) console.error(`CHROME_PATH is set to ${fromEnv}, which does not exist.`);
    return null;
  }
  for (const p of PATHS) if (existsSync(p)) return p;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of NAMES) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  if (!quiet) {
    console.error(
      'No Chrome or Chromium found. Install one (Debian/Ubuntu: `sudo apt-get install -y chromium`; ' +
        'macOS: install Google Chrome) or point CHROME_PATH at its executable.',
    );
  }
  return null;
}

/** Flags for headless Chromium with WebGPU on machines without a GPU (SwiftShader). */
export function chromeArgs() {
  const args = ['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}

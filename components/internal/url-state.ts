/**
 * Shareable state: an element with the `url-state` attribute writes what the reader chose (the
 * layer, the channel, the unit, the input, the settings) into the page URL's fragment, and restores
 * it from there when the page opens, so a link reopens "this channel of this layer for this image".
 *
 * Each element owns the keys under its namespace (the attribute's value, else its id, else its tag
 * name): `#face.layer=res2c_relu&face.channel=5&face.unit=10,12&pad.sample=7`. Keys of other
 * elements, and a plain anchor (`#section-2`), are kept as they are. Writing replaces the history
 * entry (no Back-button spam); a fragment changed by a link or by hand is applied again.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type Fields = Record<string, string | null | undefined>;

/** The fragment as ordered [key, value] pairs; a bare word (an anchor) has the value null. */
export function parseFragment(hash: string): [string, string | null][] {
  const body = hash.replace(/^#/, '');
  if (!body) return [];
  return body.split('&').filter(Boolean).map((part) => {
    const eq = part.indexOf('=');
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    return eq < 0 ? [dec(part), null] : [dec(part.slice(0, eq)), dec(part.slice(eq + 1))];
  });
}

/** Pairs back into a fragment (without '#'); the characters a fragment allows stay readable. */
export function formatFragment(pairs: readonly [string, string | null][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%2F/gi, '/').replace(/%3A/gi, ':');
  return pairs.map(([k, v]) => (v === null ? enc(k) : `${enc(k)}=${enc(v)}`)).join('&');
}

/** The values stored under `ns` in `hash`, by field name. */
export function readState(ns: string, hash = globalThis.location?.hash ?? ''): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = `${ns}.`;
  for (const [k, v] of parseFragment(hash)) if (v !== null && k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** `hash` with the fields of `ns` replaced by `fields` (null or '' drops a field), others untouched. */
export function withState(ns: string, fields: Fields, hash = globalThis.location?.hash ?? ''): string {
  const prefix = `${ns}.`;
  const kept = parseFragment(hash).filter(([k]) => !k.startsWith(prefix));
  const mine = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== null && e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => [`${prefix}${k}`, v] as [string, string]);
  return formatFragment([...kept, ...mine]);
}

/** What an element offers to be shared: its fields now, and how to take them back. */
export interface StateOwner {
  /** The namespace, or null when the element has not opted in. */
  urlNamespace(): string | null;
  urlFields(): Fields;
  restoreUrlFields(fields: Record<string, string>): void;
}

/**
 * Keeps one element's fields in the fragment: restores them when the element connects and when
 * the fragment changes (a link followed), and writes them after each of the element's updates
 * (coalesced to one write per frame; nothing is written when nothing changed).
 */
export class UrlStateSync implements ReactiveController {
  private queued = false;
  private lastWritten = '';

  constructor(
    private readonly host: ReactiveControllerHost & Element,
    private readonly owner: StateOwner,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connect();
  }

  hostDisconnected(): void {
    this.disconnect();
  }

  hostUpdated(): void {
    this.save();
  }

  connect(): void {
    if (!this.owner.urlNamespace()) return;
    globalThis.addEventListener?.('hashchange', this.onHashChange);
    this.restore();
  }

  disconnect(): void {
    globalThis.removeEventListener?.('hashchange', this.onHashChange);
  }

  /** Writes the owner's fields into the fragment at the next frame. */
  save(): void {
    if (!this.owner.urlNamespace() || this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.write();
    });
  }

  /** Writes now (tests, and pages that copy the link at once). */
  write(): void {
    const ns = this.owner.urlNamespace();
    // An element that left the page no longer speaks for the page's state.
    if (!ns || !globalThis.location || !this.host.isConnected) return;
    const next = withState(ns, this.owner.urlFields());
    if (next === location.hash.replace(/^#/, '')) return;
    this.lastWritten = next;
    history.replaceState(history.state, '', `${location.pathname}${location.search}${next ? `#${next}` : ''}`);
  }

  private restore(): void {
    const ns = this.owner.urlNamespace();
    if (!ns) return;
    const fields = readState(ns);
    if (Object.keys(fields).length) this.owner.restoreUrlFields(fields);
  }

  private onHashChange = (): void => {
    // Our own writes use replaceState, which fires no hashchange; anything else is a link or a hand edit.
    if (location.hash.replace(/^#/, '') !== this.lastWritten) this.restore();
  };
}

/**
 * The words the elements show, in English and Simplified Chinese. An element speaks the language
 * of its own `lang` attribute, else of the closest ancestor that has one (crossing shadow roots to
 * their hosts), else of the page's `<html lang>`; any `zh` tag reads Simplified Chinese, anything
 * else English.
 *
 * A catalogue is one object per language with the same keys (the compiler checks that the Chinese
 * one lacks none); a message is a string with `{name}` placeholders, or a function of the
 * parameters where the wording depends on them (English plurals). Each element family may keep its
 * own catalogue beside it:
 * @example
 * const m = defineMessages({
 *   en: { play: 'Play', steps: (p) => `${p.n} step${p.n === 1 ? '' : 's'}` },
 *   'zh-Hans': { play: '播放', steps: (p) => `${p.n} 步` },
 * });
 * m.msg(this, 'steps', { n: 3 }); // '3 steps', or '3 步' under lang="zh"
 * const t = m.strings(this);       // the same, bound to one element for a render
 * t('play');
 *
 * Elements that extend CnnElement re-render when their own `lang`, an ancestor's or the page's
 * changes (`LangController`).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type Lang = 'en' | 'zh-Hans';
export const LANGS: readonly Lang[] = ['en', 'zh-Hans'];

export type Params = Record<string, string | number>;
export type Message = string | ((p: Params) => string);
export type Catalogue<K extends string> = Record<K, Message>;

/** The two languages' catalogues of one family; the Chinese must have every English key. */
export interface CatalogueSet<K extends string> {
  en: Catalogue<K>;
  'zh-Hans': Catalogue<K>;
}

/** A lookup bound to one element's language: `t('key', {n: 3})`. */
export type Strings<K extends string> = ((key: K, params?: Params) => string) & { lang: Lang };

export interface Messages<K extends string> {
  readonly catalogues: CatalogueSet<K>;
  msg(el: Element | null, key: K, params?: Params): string;
  strings(el: Element | null): Strings<K>;
  /** The message in a given language (tests, and text outside any element). */
  inLang(lang: Lang, key: K, params?: Params): string;
}

/** Every catalogue defined so far, so a test can check that each language has each key. */
export const registry: CatalogueSet<string>[] = [];

/** Maps a BCP 47 tag to the language the elements speak: `zh`, `zh-CN`, `zh-Hans-SG` → `zh-Hans`. */
export function normalizeLang(tag: string | null | undefined): Lang {
  return /^zh(-|$)/i.test((tag ?? '').trim()) ? 'zh-Hans' : 'en';
}

/**
 * The language `el` speaks: its own `lang`, the closest ancestor's (a shadow root's host counts as
 * its parent), else the document's. An empty `lang=""` is passed over.
 */
export function langOf(el: Element | null): Lang {
  let node: Node | null = el;
  while (node) {
    if (node instanceof Element) {
      const tag = node.getAttribute('lang');
      if (tag) return normalizeLang(tag);
    }
    node = node.parentNode;
    if (node instanceof ShadowRoot) node = node.host;
  }
  return normalizeLang(globalThis.document?.documentElement?.getAttribute('lang'));
}

function format(message: Message | undefined, key: string, params: Params = {}): string {
  if (message === undefined) return key;
  if (typeof message === 'function') return message(params);
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/**
 * A family's catalogues and its lookups; the catalogue is also entered in `registry`. The English
 * catalogue names the keys; the Chinese one must have each of them.
 */
export function defineMessages<const E extends Record<string, Message>>(catalogues: {
  en: E;
  'zh-Hans': Record<keyof E, Message>;
}): Messages<keyof E & string> {
  type K = keyof E & string;
  registry.push(catalogues as CatalogueSet<string>);
  const set = catalogues as CatalogueSet<K>;
  const inLang = (lang: Lang, key: K, params?: Params): string => format(set[lang][key] ?? set.en[key], key, params);
  return {
    catalogues: set,
    inLang,
    msg: (el, key, params) => inLang(langOf(el), key, params),
    strings(el) {
      const lang = langOf(el);
      return Object.assign((key: K, params?: Params) => inLang(lang, key, params), { lang });
    },
  };
}

/** Formats a number the way `lang` writes it (grouping, decimals). */
export function formatNumber(lang: Lang, n: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(lang === 'zh-Hans' ? 'zh-CN' : 'en-US', options).format(n);
}

// ---------------------------------------------------------------------------------------------
// Re-rendering when a language changes. One observer per document watches every `lang` attribute
// in the light DOM (the element's own, an ancestor's, <html>'s) and asks each connected element to
// update; a page that switches language switches every element at once.

const hosts = new Set<ReactiveControllerHost>();
let observer: MutationObserver | null = null;

function watchDocument(): void {
  if (observer || typeof MutationObserver === 'undefined' || !globalThis.document) return;
  observer = new MutationObserver(() => {
    for (const host of hosts) host.requestUpdate();
  });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'], subtree: true });
}

/** Re-renders its host when a `lang` that may decide the host's language changes. */
export class LangController implements ReactiveController {
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    hosts.add(this.host);
    watchDocument();
  }
  hostDisconnected(): void {
    hosts.delete(this.host);
  }
}

// ---------------------------------------------------------------------------------------------
// The strings CnnElement itself shows (every element shares them): the no-WebGPU notice, loading
// progress, and the words several elements use.

export const common = defineMessages({
  en: {
    needsWebGpu: 'This needs WebGPU',
    webGpuUnavailable: 'WebGPU is not available',
    nothingShown: 'The network runs on the GPU, so nothing can be shown here.',
    browsersThatWork:
      'It works in Chrome and Edge 113 or newer (Windows, macOS, ChromeOS, Android), Safari 26 or newer (macOS, iOS), and Firefox 141 or newer on Windows; on Linux, Chrome or Chromium started with --enable-unsafe-webgpu.',
    secureOnly: 'WebGPU is only offered to secure pages: open this page over HTTPS or from localhost.',
    noNavigatorGpu: 'This browser does not offer WebGPU (navigator.gpu is missing).',
    noDevice: 'WebGPU is present, but no GPU device could be obtained from it: {reason}',
    noAdapter: 'This browser offers WebGPU, but no GPU adapter (the GPU may be blocked, or on Linux WebGPU is behind a flag).',
    loadingModel: 'Loading the model',
    loadingModelPercent: 'Loading the model… {percent}%',
    play: 'Play',
    pause: 'Pause',
    close: 'Close',
    load: 'Load',
    gpuLostTitle: 'The GPU was lost.',
    gpuLostRestarting: 'Starting again on a new GPU device…',
    gpuLostRestarted: 'This now runs on a new GPU device.',
    gpuLostStays: 'Reload the page to see this again.',
  },
  'zh-Hans': {
    needsWebGpu: '需要 WebGPU',
    webGpuUnavailable: 'WebGPU 不可用',
    nothingShown: '网络在 GPU 上运行，因此这里无法显示任何内容。',
    browsersThatWork:
      '可用的浏览器：Chrome 和 Edge 113 及以上（Windows、macOS、ChromeOS、Android），Safari 26 及以上（macOS、iOS），Windows 上的 Firefox 141 及以上；Linux 上需用 --enable-unsafe-webgpu 启动的 Chrome 或 Chromium。',
    secureOnly: 'WebGPU 只对安全页面开放：请通过 HTTPS 或 localhost 打开本页。',
    noNavigatorGpu: '此浏览器不提供 WebGPU（没有 navigator.gpu）。',
    noDevice: '浏览器有 WebGPU，但无法从中取得 GPU 设备：{reason}',
    noAdapter: '此浏览器提供 WebGPU，但没有可用的 GPU 适配器（GPU 可能被屏蔽，或在 Linux 上 WebGPU 需要开启标志）。',
    loadingModel: '正在加载模型',
    loadingModelPercent: '正在加载模型…… {percent}%',
    play: '播放',
    pause: '暂停',
    close: '关闭',
    load: '加载',
    gpuLostTitle: 'GPU 已丢失。',
    gpuLostRestarting: '正在新的 GPU 设备上重新开始……',
    gpuLostRestarted: '现在运行在新的 GPU 设备上。',
    gpuLostStays: '请重新加载页面以再次查看。',
  },
});

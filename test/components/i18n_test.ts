import { expect } from '@esm-bundle/chai';
import { fixture, html } from '@open-wc/testing';
import '../../components/index.js';
import { common, defineMessages, langOf, normalizeLang, registry, LANGS } from '../../components/internal/i18n.js';

function placeholders(message: unknown): string[] {
  return typeof message === 'string' ? [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort() : [];
}

describe('i18n: the words the elements show, in English and Simplified Chinese', () => {
  afterEach(() => document.documentElement.removeAttribute('lang'));

  it('reads any zh tag as Simplified Chinese and anything else as English', () => {
    for (const tag of ['zh', 'zh-CN', 'zh-Hans', 'zh-Hans-SG', 'ZH-cn']) expect(normalizeLang(tag), tag).to.equal('zh-Hans');
    for (const tag of ['en', 'en-GB', 'fr', '', null, undefined, 'zhx']) expect(normalizeLang(tag), String(tag)).to.equal('en');
  });

  it("takes the element's own lang, else the closest ancestor's across shadow roots, else the page's", async () => {
    const box = await fixture<HTMLDivElement>(html`<div lang="zh-CN"><p><span id="a"></span><span id="b" lang="en"></span></p><section id="host"></section></div>`);
    expect(langOf(box.querySelector('#a'))).to.equal('zh-Hans');
    expect(langOf(box.querySelector('#b'))).to.equal('en');
    const inner = document.createElement('b');
    box.querySelector('#host')!.attachShadow({ mode: 'open' }).append(inner);
    expect(langOf(inner), 'inside a shadow root').to.equal('zh-Hans');
    const loose = document.createElement('span');
    expect(langOf(loose)).to.equal('en');
    document.documentElement.lang = 'zh';
    expect(langOf(loose), "the page's").to.equal('zh-Hans');
    expect(langOf(null)).to.equal('zh-Hans');
  });

  it('fills placeholders and calls functional messages, falling back to the key for an unknown one', () => {
    const m = defineMessages({
      en: { hello: 'Hello {name}', steps: (p) => `${p.n} step${p.n === 1 ? '' : 's'}` },
      'zh-Hans': { hello: '你好 {name}', steps: (p) => `${p.n} 步` },
    });
    expect(m.inLang('en', 'hello', { name: 'A' })).to.equal('Hello A');
    expect(m.inLang('zh-Hans', 'hello', { name: 'A' })).to.equal('你好 A');
    expect(m.inLang('en', 'steps', { n: 1 })).to.equal('1 step');
    expect(m.inLang('en', 'steps', { n: 2 })).to.equal('2 steps');
    const el = document.createElement('span');
    el.lang = 'zh';
    const t = m.strings(el);
    expect(t.lang).to.equal('zh-Hans');
    expect(t('steps', { n: 2 })).to.equal('2 步');
    registry.pop();
  });

  it('every catalogue has every key in both languages, with the same placeholders, and no Chinese message is left in English', () => {
    expect(registry.length).to.be.greaterThan(0);
    for (const set of registry) {
      const keys = Object.keys(set.en).sort();
      for (const lang of LANGS) expect(Object.keys(set[lang]).sort(), lang).to.deep.equal(keys);
      for (const key of keys) {
        if (typeof set.en[key] === 'string' && typeof set['zh-Hans'][key] === 'string') expect(placeholders(set['zh-Hans'][key]), key).to.deep.equal(placeholders(set.en[key]));
        const zh = set['zh-Hans'][key];
        const text = typeof zh === 'function' ? zh({ n: 2 }) : zh;
        // Chinese, or the same as the English (a name such as "Adam"), or no words at all ("{kind} {value}：{what}").
        const words = text.replace(/\{\w+\}/g, '');
        expect(/[\u4e00-\u9fff]/.test(text) || text === set.en[key] || !/[A-Za-z]{2,}/.test(words), `${key}: "${text}"`).to.equal(true);
      }
    }
  });

  it('a GPU element without WebGPU shows its notice in Chinese under lang="zh", and switches with the page', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const el = await fixture<HTMLElement>(html`<cnn-filter-viewer lang="zh-Hans"></cnn-filter-viewer>`);
      const notice = () => el.shadowRoot!.querySelector('.notice')!.textContent!.replace(/\s+/g, ' ');
      expect(notice()).to.include(common.inLang('zh-Hans', 'needsWebGpu')).and.include('navigator.gpu');
      el.removeAttribute('lang');
      await new Promise((r) => setTimeout(r, 0));
      await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
      expect(notice()).to.include('This needs WebGPU');
      document.documentElement.lang = 'zh-CN';
      await new Promise((r) => setTimeout(r, 0));
      await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
      expect(notice(), "follows the page's lang").to.include('需要 WebGPU');
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });
});

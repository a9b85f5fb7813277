import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import '../../components/cnn-image-input.js';
import '../../components/cnn-layer-viewer.js';
import type { CnnImageInput, InputDetail } from '../../components/cnn-image-input.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { loadLayersModel } from '../../src/index.js';
import { tinyClassifier, picture, pixelsOf } from './tiny_model.js';

/** A stand-in viewer: anything with setInput() can be fed. */
function stub(id: string): HTMLElement & { fed: HTMLCanvasElement[]; setInput(c: HTMLCanvasElement): void } {
  const el = Object.assign(document.createElement('div'), { fed: [] as HTMLCanvasElement[] });
  el.id = id;
  return Object.assign(el, { setInput(c: HTMLCanvasElement) { el.fed.push(c); } });
}

const root = (el: Element) => el.shadowRoot!;

async function pngUrl(canvas: HTMLCanvasElement): Promise<string> {
  const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
  return URL.createObjectURL(blob);
}

/** Centre of mass and ink of a 28×28 frame (red channel). */
function inkStats(c: HTMLCanvasElement): { ink: number; cx: number; cy: number; max: number } {
  const px = pixelsOf(c);
  let [ink, cx, cy, max] = [0, 0, 0, 0];
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      const v = px[(y * c.width + x) * 4]!;
      ink += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
      max = Math.max(max, v);
    }
  }
  return { ink, cx: cx / ink, cy: cy / ink, max };
}

describe('cnn-image-input', function () {
  this.timeout(60_000);

  it('feeds every viewer named in `for`, or the viewer it is nested in', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="a b"></cnn-image-input></div>`);
    const [a, b] = [stub('a'), stub('b')];
    box.append(a, b);
    const input = box.querySelector('cnn-image-input')!;
    const fed = oneEvent(input, 'cnn-input');
    input.feed(picture(), 'url');
    const ev = (await fed) as CustomEvent<InputDetail>;
    expect(ev.detail.targets).to.deep.equal([a, b]);
    expect(a.fed).to.have.length(1);
    expect(b.fed).to.have.length(1);
    const nested = await fixture<CnnLayerViewer>(html`<cnn-layer-viewer><cnn-image-input></cnn-image-input></cnn-layer-viewer>`);
    expect(nested.querySelector('cnn-image-input')!.targets).to.deep.equal([nested]);
  });

  it('the drawing pad feeds a 28×28 MNIST-style frame: white ink on black, centred by mass, live while drawing', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t" mode="draw" sample="7"></cnn-image-input></div>`);
    const t = stub('t');
    box.append(t);
    const input = box.querySelector('cnn-image-input')!;
    await waitUntil(() => t.fed.length > 0, 'the sample is fed');
    const frame = t.fed[t.fed.length - 1]!;
    expect([frame.width, frame.height]).to.deep.equal([28, 28]);
    const s = inkStats(frame);
    expect(s.max).to.be.above(200);
    expect(s.cx).to.be.closeTo(14, 1);
    expect(s.cy).to.be.closeTo(14, 1);
    input.clear();
    expect(inkStats(t.fed[t.fed.length - 1]!).ink).to.equal(0);
    const pad = root(input).querySelector<HTMLCanvasElement>('canvas.pad')!;
    const r = pad.getBoundingClientRect();
    const before = t.fed.length;
    await sendMouse({ type: 'move', position: [Math.round(r.left + r.width * 0.5), Math.round(r.top + r.height * 0.2)] });
    await sendMouse({ type: 'down' });
    for (let i = 1; i <= 6; i++) {
      await sendMouse({ type: 'move', position: [Math.round(r.left + r.width * 0.5), Math.round(r.top + r.height * (0.2 + i * 0.1))] });
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    }
    const during = t.fed.length - before;
    await sendMouse({ type: 'up' });
    expect(during, 'frames fed while the stroke was drawn').to.be.at.least(2);
    const last = inkStats(t.fed[t.fed.length - 1]!);
    expect(last.ink).to.be.above(0);
    expect(last.cx).to.be.closeTo(14, 1);
  });

  it('loads an image URL, and reports a broken one in words', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t"></cnn-image-input></div>`);
    const t = stub('t');
    box.append(t);
    const input = box.querySelector('cnn-image-input')!;
    const url = await pngUrl(picture(40));
    await input.loadUrl(url);
    expect(t.fed).to.have.length(1);
    expect([...pixelsOf(t.fed[0]!)]).to.deep.equal([...pixelsOf(picture(40))]);
    const failed = oneEvent(input, 'cnn-error');
    void input.loadUrl('/no/such.png');
    expect(((await failed) as CustomEvent).detail.phase).to.equal('image');
    await input.updateComplete;
    const msg = root(input).querySelector('.message.error')!;
    expect(msg.getAttribute('role')).to.equal('alert');
    expect(msg.textContent).to.include('/no/such.png');
    URL.revokeObjectURL(url);
  });

  it('takes a dropped image file, and refuses a file that is not an image', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t"></cnn-image-input></div>`);
    const t = stub('t');
    box.append(t);
    const input = box.querySelector('cnn-image-input')!;
    const blob = await (await fetch(await pngUrl(picture(32)))).blob();
    const drop = (file: File) => {
      const dt = new DataTransfer();
      dt.items.add(file);
      input.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    };
    const fed = oneEvent(input, 'cnn-input');
    drop(new File([blob], 'pic.png', { type: 'image/png' }));
    expect(((await fed) as CustomEvent<InputDetail>).detail.source).to.equal('file');
    expect([t.fed[0]!.width, t.fed[0]!.height]).to.deep.equal([32, 32]);
    const failed = oneEvent(input, 'cnn-error');
    drop(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    expect(((await failed) as CustomEvent).detail.message).to.include('notes.txt is not an image');
  });

  it('feeds webcam frames once the camera is allowed, and says so when it is refused', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t" mode="camera"></cnn-image-input></div>`);
    const t = stub('t');
    box.append(t);
    const input = box.querySelector('cnn-image-input')!;
    const source = picture(64);
    const original = navigator.mediaDevices.getUserMedia;
    const tick = setInterval(() => source.getContext('2d')!.fillRect(0, 0, 1, 1), 30);
    try {
      navigator.mediaDevices.getUserMedia = async () => source.captureStream(30);
      root(input).querySelector<HTMLButtonElement>('button.button')!.click();
      await waitUntil(() => t.fed.length >= 2, 'camera frames fed', { timeout: 10_000 });
      expect(t.fed[0]!.width).to.equal(64);
      root(input).querySelector<HTMLButtonElement>('button.button')!.click();
      await input.updateComplete;
      expect(root(input).querySelector('button.button')!.textContent).to.include('Start');
      navigator.mediaDevices.getUserMedia = async () => {
        throw new DOMException('Permission denied', 'NotAllowedError');
      };
      const failed = oneEvent(input, 'cnn-error');
      root(input).querySelector<HTMLButtonElement>('button.button')!.click();
      expect(((await failed) as CustomEvent).detail.message).to.include('Permission denied');
    } finally {
      clearInterval(tick);
      navigator.mediaDevices.getUserMedia = original;
    }
  });

  it('switches modes from the keyboard with arrow keys on the tabs', async () => {
    const input = await fixture<CnnImageInput>(html`<cnn-image-input></cnn-image-input>`);
    const tab = root(input).querySelector<HTMLButtonElement>('[role=tab][aria-selected=true]')!;
    expect(tab.textContent!.trim()).to.equal('Image');
    tab.focus();
    await sendKeys({ press: 'ArrowRight' });
    await input.updateComplete;
    expect(input.mode).to.equal('draw');
    expect((root(input).activeElement as HTMLElement).textContent!.trim()).to.equal('Draw');
    expect(root(input).querySelector('[role=tabpanel]')!.getAttribute('aria-labelledby')).to.equal('tab-draw');
  });

  it('a digit drawn on the pad runs through a linked viewer as 28×28 pixels in [0, 1], updating as the reader draws', async () => {
    const saved = await tinyClassifier(1, 7, 28);
    const box = await fixture<HTMLDivElement>(html`<div>
      <cnn-image-input for="v" mode="draw" sample="3"></cnn-image-input>
      <cnn-layer-viewer id="v" layers="conv"></cnn-layer-viewer>
    </div>`);
    const viewer = box.querySelector('cnn-layer-viewer')!;
    const input = box.querySelector('cnn-image-input')!;
    let ready = 0;
    viewer.addEventListener('cnn-ready', () => ready++);
    viewer.setModel(await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData }));
    // Generous: under a loaded machine the first pass (pipelines compiled) can take seconds.
    await waitUntil(() => ready >= 1, 'the sample digit ran', { timeout: 30_000 });
    const fed = (await viewer.readLayer(viewer.loadedModel!.inputName)).values;
    const frame = pixelsOf(input.current!);
    expect(fed.length).to.equal(28 * 28);
    fed.forEach((v, i) => expect(v).to.be.closeTo((0.299 * frame[i * 4]! + 0.587 * frame[i * 4 + 1]! + 0.114 * frame[i * 4 + 2]!) / 255, 1e-6));
    expect(Math.max(...fed)).to.be.at.most(1).and.above(0.5);
    input.drawSample(1);
    await waitUntil(() => ready >= 2, 'the viewer re-ran', { timeout: 30_000 });
    const after = (await viewer.readLayer(viewer.loadedModel!.inputName)).values;
    expect(after).to.not.deep.equal(fed);
  });
});

describe('cnn-image-input: what a new reader meets', function () {
  this.timeout(60_000);

  const submit = async (input: CnnImageInput, value: string) => {
    const box = root(input).querySelector<HTMLInputElement>('form input')!;
    box.value = value;
    box.dispatchEvent(new Event('input'));
    root(input).querySelector<HTMLButtonElement>('form button[type=submit]')!.click();
    await input.updateComplete;
  };

  it('Load accepts a URL relative to the page (its own default is one) and says what it loaded', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t"></cnn-image-input></div>`);
    const t = stub('t');
    box.append(t);
    const input = box.querySelector('cnn-image-input')!;
    const fed = oneEvent(input, 'cnn-input');
    await submit(input, 'demo/images/digit-3.png');
    expect(root(input).querySelector('.message')!.textContent, 'feedback at once').to.include('Loading demo/images/digit-3.png');
    await fed;
    expect(t.fed).to.have.length(1);
    await input.updateComplete;
    expect(root(input).querySelector('.message')!.textContent).to.include('Showing demo/images/digit-3.png').and.include('×');
  });

  it('Load with an empty box says what to type instead of doing nothing', async () => {
    const input = await fixture<CnnImageInput>(html`<cnn-image-input></cnn-image-input>`);
    await submit(input, '   ');
    expect(root(input).querySelector('.message')!.textContent).to.include('URL of an image');
  });

  it('after a file is dropped the URL box no longer shows the old URL', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t" src="demo/images/digit-3.png"></cnn-image-input></div>`);
    box.append(stub('t'));
    const input = box.querySelector('cnn-image-input')!;
    await input.updateComplete;
    expect(root(input).querySelector<HTMLInputElement>('form input')!.value).to.equal('demo/images/digit-3.png');
    const blob = await (await fetch(await pngUrl(picture(32)))).blob();
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'mine.png', { type: 'image/png' }));
    const fed = oneEvent(input, 'cnn-input');
    input.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    await fed;
    await input.updateComplete;
    expect(root(input).querySelector<HTMLInputElement>('form input')!.value).to.equal('');
    expect(root(input).querySelector('.message')!.textContent).to.include('mine.png');
  });

  it('an error naming a long URL wraps inside the element instead of running into the next column', async () => {
    const box = await fixture<HTMLDivElement>(html`<div style="display: grid; grid-template-columns: 220px 1fr; width: 600px">
      <cnn-image-input></cnn-image-input><div id="next">next column</div>
    </div>`);
    const input = box.querySelector('cnn-image-input')!;
    const failed = oneEvent(input, 'cnn-error');
    void input.loadUrl(`/no/such/${'very-long-path-segment-'.repeat(8)}picture.png`);
    await failed;
    await input.updateComplete;
    const msg = root(input).querySelector<HTMLElement>('.message.error')!;
    const next = box.querySelector('#next')!.getBoundingClientRect();
    expect(msg.getBoundingClientRect().right).to.be.at.most(next.left + 0.5);
    expect(input.getBoundingClientRect().width).to.be.at.most(220.5);
  });

  it('the sample menu follows the pad: it shows the sample drawn, and – after Clear or a stroke of the reader’s own', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-image-input for="t" mode="draw" sample="3"></cnn-image-input></div>`);
    const t = stub('t');
    box.append(t);
    const input = box.querySelector('cnn-image-input')!;
    await waitUntil(() => t.fed.length > 0, 'the sample is fed');
    await input.updateComplete;
    const select = () => root(input).querySelector('select')!;
    expect(select().value).to.equal('3');
    root(input).querySelector<HTMLButtonElement>('button.button')!.click();
    await input.updateComplete;
    expect(select().value).to.equal('', 'after Clear');
    input.drawSample(5);
    await input.updateComplete;
    expect(select().value).to.equal('5');
  });

  it('an empty pad shows no predictions in the linked viewer', async () => {
    const saved = await tinyClassifier(1, 7, 28);
    const box = await fixture<HTMLDivElement>(html`<div>
      <cnn-image-input for="v" mode="draw" sample="3"></cnn-image-input>
      <cnn-layer-viewer id="v" layers="conv" top-k="3"></cnn-layer-viewer>
    </div>`);
    const viewer = box.querySelector('cnn-layer-viewer')!;
    const input = box.querySelector('cnn-image-input')!;
    let ready = 0;
    viewer.addEventListener('cnn-ready', () => ready++);
    viewer.setModel(await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData }));
    await waitUntil(() => ready >= 1, 'the sample digit ran', { timeout: 30_000 });
    await viewer.updateComplete;
    expect(root(viewer).querySelectorAll('.predictions li')).to.have.length(3);
    input.clear();
    await waitUntil(() => ready >= 2, 'the blank pad ran', { timeout: 30_000 });
    await viewer.updateComplete;
    expect(root(viewer).querySelectorAll('.predictions li')).to.have.length(0);
    expect(viewer.topPredictions).to.equal(null);
  });

  it('a camera that cannot start: a styled notice with what to do, and no black box', async () => {
    const input = await fixture<CnnImageInput>(html`<cnn-image-input mode="camera"></cnn-image-input>`);
    const original = navigator.mediaDevices.getUserMedia;
    try {
      navigator.mediaDevices.getUserMedia = async () => {
        throw new DOMException('Permission denied', 'NotAllowedError');
      };
      const failed = oneEvent(input, 'cnn-error');
      root(input).querySelector<HTMLButtonElement>('button.button')!.click();
      await failed;
      await input.updateComplete;
    } finally {
      navigator.mediaDevices.getUserMedia = original;
    }
    const video = root(input).querySelector('video')!;
    expect(getComputedStyle(video).display, 'the empty picture is hidden').to.equal('none');
    const notice = root(input).querySelector('.notice.error')!;
    expect(notice.getAttribute('role')).to.equal('alert');
    expect(notice.querySelector('h3')!.textContent).to.equal('The camera could not be started');
    expect(notice.textContent).to.include('Permission denied').and.include('Allow the camera');
    expect(getComputedStyle(notice).borderLeftStyle).to.equal('solid');
  });

  it('shows the picture once: no preview of its own beside a layer viewer, a preview when it feeds something else', async () => {
    const box = await fixture<HTMLDivElement>(html`<div>
      <cnn-image-input id="a" for="v"></cnn-image-input><cnn-layer-viewer id="v"></cnn-layer-viewer>
      <cnn-image-input id="b" for="s"></cnn-image-input>
    </div>`);
    box.append(stub('s'));
    const [a, b] = [box.querySelector<CnnImageInput>('#a')!, box.querySelector<CnnImageInput>('#b')!];
    a.requestUpdate();
    b.requestUpdate();
    await Promise.all([a.updateComplete, b.updateComplete]);
    expect(root(a).querySelector('canvas.preview')).to.equal(null);
    expect(root(b).querySelector('canvas.preview')).to.not.equal(null);
  });

  it('speaks Chinese under lang="zh-Hans"', async () => {
    const input = await fixture<CnnImageInput>(html`<cnn-image-input lang="zh-Hans" mode="draw"></cnn-image-input>`);
    const text = root(input).textContent!.replace(/\s+/g, ' ');
    expect(text).to.include('图像').and.include('手写').and.include('清除').and.include('示例');
    input.mode = 'image';
    await input.updateComplete;
    const file = root(input).querySelector('input[type=file]')!;
    expect(file.closest('label')!.textContent, 'the file button speaks the element’s language, not the browser’s').to.include('选择文件');
  });
});


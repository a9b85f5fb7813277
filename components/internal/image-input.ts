import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { tokens } from './theme.js';
import { imageInputStyles } from './image-input-styles.js';
import { CnnElement } from './cnn-element.js';
import { ElementError, messageOf } from './errors.js';
import { copySource, drawInput, loadImage, MAX_INPUT_SIDE, type InputSource } from './image-pixels.js';
import { SAMPLE_DIGITS, clearPad, drawStrokes, mnistFrame, strokeStyle } from './draw-pad.js';
import { inputText } from './image-input-messages.js';
import type { Fields } from './url-state.js';

export type InputMode = 'image' | 'draw' | 'camera';
const MODES: InputMode[] = ['image', 'draw', 'camera'];
/** Targets that draw the input themselves: beside one of them a preview would show the picture twice. */
const SHOWS_INPUT = new Set(['cnn-layer-viewer']);

/** What a viewer must offer to be fed (cnn-layer-viewer does). */
export interface InputTarget extends Element {
  setInput(source: InputSource): void;
}

export interface InputDetail {
  source: 'url' | 'file' | 'draw' | 'camera';
  /** The image fed to the targets (for the pad: the 28×28 MNIST-style frame). */
  canvas: HTMLCanvasElement;
  targets: Element[];
}

const PAD = 280;
/** Camera frames at most this often: a viewer drops the frames it cannot keep up with anyway. */
const CAMERA_INTERVAL_MS = 100;

/**
 * The input a reader chooses, fed live to the viewers it is linked to: an image by URL, a file
 * (picker or drag-and-drop), a drawing pad for digits (fed as a 28×28 MNIST-style frame while the
 * reader draws, white on black, which a viewer turns into pixels in [0, 1]), or the webcam (after
 * the reader allows it). Link it with `for="viewer-id another-id"`, or put it inside a
 * `<cnn-layer-viewer>`.
 *
 * @example
 * <cnn-image-input for="digits" mode="draw" sample="3"></cnn-image-input>
 * <cnn-layer-viewer id="digits" model="models/mnist/model.json"></cnn-layer-viewer>
 *
 * @fires cnn-input - A new image went to the targets. detail: {source: 'url' | 'file' | 'draw' | 'camera', canvas, targets}
 * @fires cnn-error - An image or the camera could not be used; shown in place. detail: {message, phase: 'image' | 'camera', error}
 * @csspart base - The element's box. @csspart tabs - The mode switch; @csspart tab - one mode button.
 * @csspart pad - The drawing pad. @csspart preview - The image fed. @csspart drop-zone - Where files can be dropped.
 * @csspart video - The camera's picture. @csspart button - The action buttons. @csspart message - Errors and hints.
 * @cssprop --cnn-pad-size - Width of the drawing pad (200px).
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent - Colours.
 */
export class CnnImageInput extends CnnElement {
  /** Images and the camera need no GPU: the element works, and feeds whoever can use it. */
  protected override readonly needsWebGpu = false;

  static override styles = [tokens, imageInputStyles];

  /** IDs of the viewers to feed, space separated; empty: the enclosing `<cnn-layer-viewer>`. */
  @property({ attribute: 'for' }) htmlFor = '';
  /** The mode shown first. */
  @property({ reflect: true }) mode: InputMode = 'image';
  /** The modes offered, space separated (default all: "image draw camera"). */
  @property() modes = 'image draw camera';
  /** An image URL fed when the element starts (image mode). */
  @property() src = '';
  /** A digit 0–9 drawn on the pad when it starts, so the page begins with something to see. */
  @property() sample = '';

  @state() private message: { text: string; error: boolean } | null = null;
  @state() private over = false;
  @state() private cameraOn = false;
  /** Why the camera could not start, shown in a notice in place of the picture. */
  @state() private cameraProblem = '';
  /** The sample digit on the pad ('' once the reader clears or draws): the menu shows it. */
  @state() private sampleShown = '';
  /** What the URL box holds: the `src` at first, cleared when a file replaces it. */
  @state() private urlText: string | null = null;
  /** The last image URL fed (null after a file, the pad or the camera): what a shared link can reopen. */
  private fedUrl: string | null = null;

  private last: HTMLCanvasElement | null = null;
  private drawing = false;
  private lastPoint: [number, number] | null = null;
  private frameQueued = false;
  private stream: MediaStream | null = null;
  private cameraTimer = 0;
  private padReady = false;

  /** The viewers this input feeds right now. */
  get targets(): InputTarget[] {
    return this.targetElements().filter((el): el is InputTarget => typeof (el as Partial<InputTarget>).setInput === 'function');
  }

  /** The elements named in `for` (or the enclosing viewer), defined yet or not. */
  private targetElements(): Element[] {
    const found: Element[] = [];
    const ids = this.htmlFor.split(/\s+/).filter(Boolean);
    if (ids.length) {
      const root = this.getRootNode() as Document | ShadowRoot;
      for (const id of ids) {
        const el = root.getElementById?.(id) ?? document.getElementById(id);
        if (el) found.push(el);
      }
    } else {
      const host = this.closest('cnn-layer-viewer');
      if (host) found.push(host);
    }
    return found;
  }

  /** False when a target draws the input itself (a layer viewer): the picture is then shown once, there. */
  private get showsPreview(): boolean {
    return !this.targetElements().some((el) => SHOWS_INPUT.has(el.localName));
  }

  /** The last image fed (at its own size; the pad's is the 28×28 frame). */
  get current(): HTMLCanvasElement | null {
    return this.last;
  }

  /** Feeds `source` to the targets as if the reader had chosen it. */
  feed(source: InputSource, kind: InputDetail['source'] = 'url'): void {
    if (kind !== 'url') this.fedUrl = null;
    const canvas = source instanceof HTMLCanvasElement ? source : copySource(source);
    this.last = canvas;
    const targets = this.targets;
    for (const t of targets) t.setInput(canvas);
    this.paintPreview();
    this.emit<InputDetail>('cnn-input', { source: kind, canvas, targets });
  }

  /** Loads an image by URL (relative to the page, or absolute) and feeds it; says what it did either way. */
  async loadUrl(url: string): Promise<void> {
    const t = inputText.strings(this);
    this.message = { text: t('loading', { url }), error: false };
    try {
      const img = await loadImage(url, undefined, (u) => inputText.msg(this, 'imageFailedUrl', { url: u }));
      this.message = { text: t('loaded', { name: url, w: img.naturalWidth, h: img.naturalHeight }), error: false };
      this.feed(img, 'url');
      this.fedUrl = url;
      this.requestUpdate();
    } catch (err) {
      this.showMessage('image', err);
    }
  }

  /** Decodes an image file (from the picker or a drop) and feeds it. */
  async loadFile(file: File): Promise<void> {
    const t = inputText.strings(this);
    if (!file.type.startsWith('image/')) {
      this.showMessage('image', new ElementError('cnn-image-input', t('notImage', { name: file.name, type: file.type || t('unknownType') })));
      return;
    }
    try {
      const bitmap = await createImageBitmap(file);
      // The URL box no longer says where the picture came from: the file does.
      this.urlText = '';
      this.message = { text: t('loaded', { name: file.name, w: bitmap.width, h: bitmap.height }), error: false };
      this.feed(bitmap, 'file');
      bitmap.close();
    } catch (err) {
      this.showMessage('image', new ElementError('cnn-image-input', t('notDecoded', { name: file.name, reason: messageOf(err) }), { cause: err }));
    }
  }

  /** Clears the pad, draws the sample digit `d` (0–9) on it and feeds it. */
  drawSample(d: number): void {
    const pad = this.pad();
    const strokes = SAMPLE_DIGITS[d];
    if (!pad || !strokes) return;
    clearPad(pad);
    drawStrokes(pad, strokes);
    this.sampleShown = String(d);
    this.feedPad();
  }

  /** Clears the pad and feeds the blank frame. */
  clear(): void {
    const pad = this.pad();
    if (!pad) return;
    clearPad(pad);
    this.sampleShown = '';
    this.feedPad();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('dragover', this.onDragOver);
    this.addEventListener('dragleave', this.onDragLeave);
    this.addEventListener('drop', this.onDrop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('dragover', this.onDragOver);
    this.removeEventListener('dragleave', this.onDragLeave);
    this.removeEventListener('drop', this.onDrop);
    this.stopCamera();
  }

  protected override firstUpdated(): void {
    // Targets may be defined and parsed after this element: feed once the page has settled.
    void customElements.whenDefined('cnn-layer-viewer').then(() =>
      requestAnimationFrame(() => {
        if (this.mode === 'draw') this.startPad();
        else if (this.src) void this.loadUrl(this.src);
      }),
    );
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('mode') && changed.get('mode') !== undefined) {
      if (this.mode !== 'camera') this.stopCamera();
      if (this.mode === 'draw') this.startPad();
    }
    if (changed.has('src') && changed.get('src') !== undefined && this.src) {
      this.urlText = null;
      void this.loadUrl(this.src);
    }
    this.paintPreview();
  }

  override render(): TemplateResult {
    const offered = this.modes.split(/\s+/).filter((m): m is InputMode => (MODES as string[]).includes(m));
    const modes = offered.length ? offered : MODES;
    const t = inputText.strings(this);
    return html`<div part="base">
      ${modes.length > 1
        ? html`<div role="tablist" part="tabs" aria-label=${t('chooseInput')} @keydown=${this.onTabKey}>
            ${modes.map(
              (m) => html`<button
                role="tab"
                part="tab"
                id="tab-${m}"
                aria-selected=${this.mode === m ? 'true' : 'false'}
                aria-controls="panel"
                tabindex=${this.mode === m ? 0 : -1}
                @click=${() => (this.mode = m)}
              >
                ${t(m)}
              </button>`,
            )}
          </div>`
        : nothing}
      <div id="panel" role=${modes.length > 1 ? 'tabpanel' : 'group'} aria-labelledby="tab-${this.mode}">${this.renderPanel(t)}</div>
      ${this.message ? html`<p class="message ${this.message.error ? 'error' : ''}" part="message" role=${this.message.error ? 'alert' : 'status'}>${this.message.text}</p>` : nothing}
    </div>`;
  }

  private renderPanel(t: ReturnType<typeof inputText.strings>): TemplateResult {
    if (this.mode === 'draw') {
      return html`<canvas
          class="pad"
          part="pad"
          width=${PAD}
          height=${PAD}
          role="img"
          aria-label=${t('padAria')}
          @pointerdown=${this.onPadDown}
          @pointermove=${this.onPadMove}
          @pointerup=${this.onPadUp}
          @pointercancel=${this.onPadUp}
        ></canvas>
        <div class="row">
          <button class="button" part="button" @click=${() => this.clear()}>${t('clear')}</button>
          <label
            >${t('sample')}
            <select
              aria-label=${t('sampleAria')}
              .value=${this.sampleShown}
              @change=${(e: Event) => {
                const v = (e.target as HTMLSelectElement).value;
                if (v !== '') this.drawSample(Number(v));
              }}
            >
              <option value="" ?selected=${this.sampleShown === ''}>–</option>
              ${SAMPLE_DIGITS.map((_, d) => html`<option value=${d} ?selected=${this.sampleShown === String(d)}>${d}</option>`)}
            </select></label
          >
        </div>`;
    }
    if (this.mode === 'camera') {
      return html`<video part="video" playsinline muted aria-label=${t('videoAria')} ?hidden=${!this.cameraOn}></video>
        ${this.cameraProblem
          ? html`<div class="notice error" part="notice" role="alert">
              <h3>${t('cameraTitle')}</h3>
              <p class="reason">${this.cameraProblem}</p>
              <p>${t('cameraHint')}</p>
            </div>`
          : nothing}
        <div class="row">
          ${this.cameraOn
            ? html`<button class="button" part="button" @click=${() => this.stopCamera()}>${t('stopCamera')}</button>`
            : html`<button class="button" part="button" @click=${() => void this.startCamera()}>${t('startCamera')}</button>`}
        </div>`;
    }
    return html`<form class="row" novalidate @submit=${this.onUrlSubmit}>
        <input
          type="text"
          inputmode="url"
          autocomplete="url"
          spellcheck="false"
          placeholder=${t('urlPlaceholder')}
          aria-label=${t('urlAria')}
          .value=${this.urlText ?? this.src}
          @input=${(e: Event) => (this.urlText = (e.target as HTMLInputElement).value)}
        />
        <button class="button" part="button" type="submit">${t('load')}</button>
      </form>
      <div class="row">
        <!-- The browser's own file button speaks the browser's language: ours speaks the element's. -->
        <label class="button file" part="button"
          >${t('chooseFile')}
          <input
            class="sr-only"
            type="file"
            accept="image/*"
            aria-label=${t('fileAria')}
            @change=${(e: Event) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f) void this.loadFile(f);
            }}
        /></label>
      </div>
      <div class="drop ${this.over ? 'over' : ''}" part="drop-zone">${t('drop')}</div>
      ${this.showsPreview ? html`<div class="row"><canvas class="preview pixels" part="preview" role="img" aria-label=${t('previewAria')}></canvas></div>` : nothing}`;
  }

  /** Load: any URL the page can resolve, relative ones included; an empty box says what to type. */
  private onUrlSubmit = (e: Event): void => {
    e.preventDefault();
    const url = (this.renderRoot.querySelector<HTMLInputElement>('form input[type=text]')?.value ?? '').trim();
    if (url) void this.loadUrl(url);
    else this.message = { text: inputText.msg(this, 'emptyUrl'), error: false };
  };

  // ---- shareable state (the url-state attribute) ----

  /** The mode, the image URL fed (not a file's), and the sample digit on the pad. */
  protected override urlFields(): Fields {
    return {
      mode: this.mode,
      src: this.mode === 'image' && this.fedUrl && this.fedUrl !== this.getAttribute('src') ? this.fedUrl : null,
      sample: this.mode === 'draw' && this.sampleShown !== '' && this.sampleShown !== this.getAttribute('sample') ? this.sampleShown : null,
    };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.mode && (MODES as string[]).includes(f.mode)) this.mode = f.mode as InputMode;
    if (f.src) {
      this.src = f.src;
      if (this.hasUpdated) void this.loadUrl(f.src);
    }
    if (f.sample && /^\d$/.test(f.sample)) {
      this.sample = f.sample;
      if (this.hasUpdated && this.mode === 'draw') this.drawSample(Number(f.sample));
    }
  }

  // ---- drawing pad ----

  private pad(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector<HTMLCanvasElement>('canvas.pad');
  }

  private startPad(): void {
    void this.updateComplete.then(() => {
      const pad = this.pad();
      if (!pad) return;
      if (!this.padReady) {
        this.padReady = true;
        const d = Number.parseInt(this.sample, 10);
        if (d >= 0 && d <= 9) return this.drawSample(d);
        clearPad(pad);
      }
      this.feedPad();
    });
  }

  private feedPad(): void {
    const pad = this.pad();
    if (pad) this.feed(mnistFrame(pad), 'draw');
  }

  private padPoint(ev: PointerEvent): [number, number] {
    const rect = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    return [((ev.clientX - rect.left) / rect.width) * PAD, ((ev.clientY - rect.top) / rect.height) * PAD];
  }

  private onPadDown = (ev: PointerEvent): void => {
    const pad = ev.currentTarget as HTMLCanvasElement;
    pad.setPointerCapture?.(ev.pointerId);
    this.drawing = true;
    this.sampleShown = '';
    this.lastPoint = this.padPoint(ev);
    this.line(pad, this.lastPoint, this.lastPoint);
  };

  private onPadMove = (ev: PointerEvent): void => {
    if (!this.drawing) return;
    const p = this.padPoint(ev);
    this.line(ev.currentTarget as HTMLCanvasElement, this.lastPoint ?? p, p);
    this.lastPoint = p;
  };

  private onPadUp = (): void => {
    if (!this.drawing) return;
    this.drawing = false;
    this.lastPoint = null;
    this.feedPad();
  };

  /** Draws a segment and feeds the pad at most once per animation frame while the reader draws. */
  private line(pad: HTMLCanvasElement, from: [number, number], to: [number, number]): void {
    const ctx = pad.getContext('2d')!;
    strokeStyle(ctx, PAD);
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      this.feedPad();
    });
  }

  // ---- camera ----

  private async startCamera(): Promise<void> {
    const t = inputText.strings(this);
    if (!navigator.mediaDevices?.getUserMedia) {
      this.cameraFailed(new ElementError('cnn-image-input', t('noCameraApi')));
      return;
    }
    this.cameraProblem = '';
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
      this.cameraOn = true;
      this.message = null;
      await this.updateComplete;
      const video = this.renderRoot.querySelector('video')!;
      video.srcObject = this.stream;
      await video.play();
      this.cameraTimer = window.setInterval(() => {
        if (video.readyState >= 2) this.feed(video, 'camera');
      }, CAMERA_INTERVAL_MS);
    } catch (err) {
      this.stopCamera();
      this.cameraFailed(new ElementError('cnn-image-input', t('cameraFailed', { reason: messageOf(err) }), { cause: err }));
    }
  }

  /** A camera that cannot start: a notice with the reason and what to do, in place of the (hidden) picture. */
  private cameraFailed(err: ElementError): void {
    this.cameraProblem = err.reason;
    this.message = null;
    this.emitError('camera', err);
  }

  private stopCamera(): void {
    window.clearInterval(this.cameraTimer);
    this.cameraTimer = 0;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.cameraOn = false;
  }

  // ---- files, tabs, preview ----

  private onDragOver = (ev: DragEvent): void => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
    this.over = true;
  };

  private onDragLeave = (): void => {
    this.over = false;
  };

  private onDrop = (ev: DragEvent): void => {
    const file = ev.dataTransfer?.files?.[0];
    this.over = false;
    if (!file) return;
    ev.preventDefault();
    if (this.mode !== 'image') this.mode = 'image';
    void this.loadFile(file);
  };

  private onTabKey = (ev: KeyboardEvent): void => {
    const tabs = [...this.renderRoot.querySelectorAll<HTMLButtonElement>('[role=tab]')];
    const i = tabs.indexOf(ev.target as HTMLButtonElement);
    if (i < 0) return;
    const step = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    ev.preventDefault();
    const next = tabs[(i + step + tabs.length) % tabs.length]!;
    next.click();
    void this.updateComplete.then(() => next.focus());
  };

  private paintPreview(): void {
    const preview = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.preview');
    if (!preview || !this.last) return;
    const img = drawInput(this.last, 96, Math.min(MAX_INPUT_SIDE, Math.max(1, Math.round((96 * this.last.height) / Math.max(1, this.last.width)))), 'fill');
    preview.width = img.width;
    preview.height = img.height;
    preview.getContext('2d')!.drawImage(img, 0, 0);
  }

  /** An error in the element's message line (not the shared error box: the pad and preview stay usable). */
  private showMessage(phase: 'image' | 'camera', err: unknown): void {
    this.message = { text: messageOf(err), error: true };
    this.emitError(phase, err);
  }
}

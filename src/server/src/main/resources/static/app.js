'use strict';
// The lctserve page: try a model (draw, drop or sample an image, move the knob, see where the
// answer leaves), read its card, and watch the server's own metrics. Plain browser JavaScript:
// no build step, no libraries, everything from this server.
(() => {
  const VIEW = 280; // the canvas's longer side on screen, in CSS pixels
  const LIVE_SECONDS = 2;
  const THRESHOLD = 'threshold';

  const $ = (id) => document.getElementById(id);
  const state = {
    model: null, // name
    meta: null, // V2 metadata of the chosen version
    samples: [],
    shape: { c: 1, h: 28, w: 28 }, // the chosen model's input: channels, rows, columns
    scale: 10, // canvas pixels per input pixel
    pixels: new Float32Array(28 * 28), // channel planes, values in [0, 1]
    hasImage: false,
    asked: 0, // sequence number of the latest request
    pen: { x: 14, y: 14, shown: false },
    live: null, // previous metrics snapshot
  };

  // ---------- talking to the server ----------

  async function fetchJson(url, options) {
    const response = await fetch(url, options);
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      throw new Error(body && body.error ? body.error : `${response.status} ${response.statusText}`);
    }
    return body;
  }

  const modelPath = () => `v2/models/${encodeURIComponent(state.model)}/versions/${encodeURIComponent($('version').value)}`;

  // ---------- start ----------

  async function init() {
    wireCanvas();
    wireKnob();
    $('sample').addEventListener('click', () => showSample(randomSample()));
    $('clear').addEventListener('click', clearImage);
    $('file').addEventListener('change', (e) => e.target.files[0] && readFile(e.target.files[0]));
    try {
      const models = await fetchJson('v2/models');
      const select = $('model');
      select.replaceChildren(...models.models.map((name) => new Option(name, name)));
      if (models.models.length === 0) {
        throw new Error('the server has no model loaded');
      }
      await chooseModel(models.models[0]);
      // ?sample=N opens with the model's sample image N, so that a link shows the same answer to everyone.
      const wanted = Number(new URLSearchParams(location.search).get('sample'));
      const first = state.samples.find((sample) => sample.index === wanted) || state.samples[0];
      if (first) {
        showSample(first);
      }
      setTimeout(startLive, 500); // after the first answer, which is what a visitor waits for
      document.body.dataset.ready = 'true';
      document.body.dataset.readyMillis = performance.now().toFixed(0);
    } catch (e) {
      showError(`Could not load the page's data: ${e.message}`);
    }
  }

  async function chooseModel(name) {
    state.model = name;
    const meta = await fetchJson(`v2/models/${encodeURIComponent(name)}`);
    const versions = meta.versions && meta.versions.length ? meta.versions : [meta.parameters.version];
    $('version').replaceChildren(...versions.map((v) => new Option(v, v)));
    $('version').value = meta.parameters.version;
    await chooseVersion(meta);
  }

  /** @param meta the chosen version's metadata when the caller already has it */
  async function chooseVersion(meta) {
    state.meta = meta || (await fetchJson(modelPath()));
    const p = state.meta.parameters;
    const presets = Object.keys(p.presets);
    $('preset').replaceChildren(
      new Option('server default', ''),
      ...presets.map((name) => new Option(name, name)),
      new Option('threshold (slider)', THRESHOLD));
    $('max-stage').replaceChildren(
      new Option(`last (${p.stages.length - 1})`, ''),
      ...p.stages.map((s) => new Option(`${s.stage}`, `${s.stage}`)));
    syncKnob();
    renderCard();
    state.live = null;
    await loadSamples();
    ask();
  }

  /** The chosen version's input shape, canvas and sample images (its folder's samples.json, if any). */
  async function loadSamples() {
    const dims = state.meta.inputs[0].shape.slice(1);
    const shape = { c: dims[0], h: dims[1], w: dims[2] };
    if (shape.c !== state.shape.c || shape.h !== state.shape.h || shape.w !== state.shape.w) {
      state.shape = shape;
      state.pixels = new Float32Array(shape.c * shape.h * shape.w);
      state.hasImage = false;
      state.pen = { x: Math.floor(shape.w / 2), y: Math.floor(shape.h / 2), shown: false };
    }
    state.scale = Math.max(1, Math.floor(VIEW / Math.max(shape.h, shape.w)));
    const canvas = $('canvas');
    canvas.width = shape.w * state.scale;
    canvas.height = shape.h * state.scale;
    canvas.setAttribute('aria-label', `Drawing area, ${shape.h} by ${shape.w} ${shape.c === 1 ? 'grey' : 'colour'} pixels`
      + ` shown ${state.scale} times larger. Draw with the mouse or a finger; with the keyboard, move the pen with the`
      + ' arrow keys and paint with Space; press C to clear. Drop an image file here.');
    const version = $('version').value;
    try {
      const file = await fetchJson(`v1/models/${encodeURIComponent(state.model)}/versions/${encodeURIComponent(version)}/samples`);
      const split = file.split === 'test' ? 'Test' : 'Validation';
      state.samples = file.samples.map((s) => ({ index: s.index, label: s.label, split, bytes: base64Bytes(s.pixels) }));
    } catch (e) {
      state.samples = []; // a model without samples.json: drawing and files still work
    }
    $('sample').disabled = state.samples.length === 0;
    if (!state.hasImage) {
      clearImage();
    } else {
      paint();
    }
  }

  // ---------- the image ----------

  function base64Bytes(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  /** Any sample but the one on show, so that the button always changes the image. */
  function randomSample() {
    const shown = $('image-caption').dataset.sampleIndex;
    const others = state.samples.filter((sample) => `${sample.index}` !== shown);
    return others[Math.floor(Math.random() * others.length)];
  }

  function showSample(sample) {
    if (!sample) {
      return;
    }
    for (let i = 0; i < state.pixels.length; i++) {
      state.pixels[i] = sample.bytes[i] / 255;
    }
    const labels = state.meta ? state.meta.parameters.labels : [];
    const caption = $('image-caption');
    caption.textContent = `${sample.split} image #${sample.index}, labelled "${labels[sample.label] || sample.label}".`;
    caption.dataset.sampleIndex = `${sample.index}`;
    state.hasImage = true;
    paint();
    ask();
  }

  function clearImage() {
    state.pixels.fill(0);
    state.hasImage = false;
    setCaption('Draw light on dark, drop a picture, or take a sample.');
    paint();
    renderEmptyAnswer();
  }

  function setCaption(text) {
    const caption = $('image-caption');
    caption.textContent = text;
    delete caption.dataset.sampleIndex;
  }

  /** Draws the input's pixels (grey, or RGB from its three planes) on the big canvas, and the keyboard pen. */
  function paint() {
    const { c, h, w } = state.shape;
    const plane = h * w;
    const small = document.createElement('canvas');
    small.width = w;
    small.height = h;
    const image = small.getContext('2d').createImageData(w, h);
    for (let i = 0; i < plane; i++) {
      const r = Math.round(state.pixels[i] * 255);
      const g = c === 3 ? Math.round(state.pixels[plane + i] * 255) : r;
      const b = c === 3 ? Math.round(state.pixels[2 * plane + i] * 255) : r;
      image.data.set([r, g, b, 255], i * 4);
    }
    small.getContext('2d').putImageData(image, 0, 0);
    const g = $('canvas').getContext('2d');
    const s = state.scale;
    g.imageSmoothingEnabled = false;
    g.drawImage(small, 0, 0, w * s, h * s);
    if (state.pen.shown) {
      g.strokeStyle = '#ff4d4f';
      g.lineWidth = 2;
      g.strokeRect(state.pen.x * s - s, state.pen.y * s - s, 3 * s, 3 * s);
    }
  }

  /** Reads the big canvas back into the input's pixels, averaging each scale x scale block per channel. */
  function readCanvas() {
    const { c, h, w } = state.shape;
    const s = state.scale;
    const data = $('canvas').getContext('2d').getImageData(0, 0, w * s, h * s).data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let dy = 0; dy < s; dy++) {
            for (let dx = 0; dx < s; dx++) {
              sum += data[((y * s + dy) * w * s + x * s + dx) * 4 + ch];
            }
          }
          state.pixels[ch * h * w + y * w + x] = sum / (s * s * 255);
        }
      }
    }
  }

  function wireCanvas() {
    const canvas = $('canvas');
    const g = canvas.getContext('2d');
    let last = null;
    const at = (e) => {
      const box = canvas.getBoundingClientRect();
      return { x: (e.clientX - box.left) * (canvas.width / box.width), y: (e.clientY - box.top) * (canvas.height / box.height) };
    };
    const stroke = (from, to) => {
      g.strokeStyle = '#fff';
      g.lineWidth = 2.2 * state.scale * Math.max(1, Math.round(Math.max(state.shape.h, state.shape.w) / 28));
      g.lineCap = 'round';
      g.lineJoin = 'round';
      g.beginPath();
      g.moveTo(from.x, from.y);
      g.lineTo(to.x, to.y);
      g.stroke();
    };
    canvas.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      if (state.pen.shown) {
        state.pen.shown = false;
        paint();
      }
      last = at(e);
      stroke(last, last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (last) {
        const next = at(e);
        stroke(last, next);
        last = next;
      }
    });
    const finish = () => {
      if (last) {
        last = null;
        readCanvas();
        paint();
        drawn();
      }
    };
    canvas.addEventListener('pointerup', finish);
    canvas.addEventListener('pointercancel', finish);
    canvas.addEventListener('keydown', (e) => {
      const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (moves[e.key]) {
        state.pen.x = Math.min(state.shape.w - 2, Math.max(1, state.pen.x + moves[e.key][0]));
        state.pen.y = Math.min(state.shape.h - 2, Math.max(1, state.pen.y + moves[e.key][1]));
        state.pen.shown = true;
        paint();
      } else if (e.key === ' ' || e.key === 'Enter') {
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            for (let ch = 0; ch < state.shape.c; ch++) {
              const i = ch * state.shape.h * state.shape.w + (state.pen.y + dy) * state.shape.w + state.pen.x + dx;
              state.pixels[i] = Math.max(state.pixels[i], dx === 0 && dy === 0 ? 1 : 0.75);
            }
          }
        }
        state.pen.shown = true;
        paint();
        drawn();
      } else if (e.key === 'c' || e.key === 'C' || e.key === 'Delete') {
        clearImage();
      } else {
        return;
      }
      e.preventDefault();
    });
    canvas.addEventListener('dragover', (e) => {
      e.preventDefault();
      canvas.classList.add('dragover');
    });
    canvas.addEventListener('dragleave', () => canvas.classList.remove('dragover'));
    canvas.addEventListener('drop', (e) => {
      e.preventDefault();
      canvas.classList.remove('dragover');
      if (e.dataTransfer.files[0]) {
        readFile(e.dataTransfer.files[0]);
      }
    });
  }

  function drawn() {
    state.hasImage = true;
    setCaption('Your drawing.');
    ask();
  }

  /**
   * Sends a picture to the server, which converts it to the model's input exactly as training and
   * `evaluate` convert a picture (colour, then scaled to cover the input and the centre cut out).
   */
  async function readFile(file) {
    const form = new FormData();
    form.append('image', file);
    const invert = $('invert').checked;
    const path = `v1/models/${encodeURIComponent(state.model)}/versions/${encodeURIComponent($('version').value)}/input`;
    try {
      const input = await fetchJson(`${path}?invert=${invert}`, { method: 'POST', body: form });
      const bytes = base64Bytes(input.pixels);
      for (let i = 0; i < state.pixels.length; i++) {
        state.pixels[i] = bytes[i] / 255;
      }
      state.hasImage = true;
      setCaption(`File ${file.name}${invert ? ', inverted' : ''}.`);
      paint();
      ask();
    } catch (e) {
      showError(`${file.name}: ${e.message}`);
    }
  }

  // ---------- the knob ----------

  function wireKnob() {
    $('model').addEventListener('change', (e) => chooseModel(e.target.value).catch((err) => showError(err.message)));
    $('version').addEventListener('change', () => chooseVersion(null).catch((err) => showError(err.message)));
    for (const id of ['mode', 'preset', 'max-stage', 'deadline']) {
      $(id).addEventListener('change', () => {
        syncKnob();
        ask();
      });
    }
    $('deadline').addEventListener('input', () => ask());
    $('threshold').addEventListener('input', () => {
      $('preset').value = THRESHOLD;
      syncKnob();
      ask();
    });
    $('knob').addEventListener('submit', (e) => e.preventDefault());
  }

  const MODE_HELP = {
    early_exit: 'The first head sure enough answers; the last head answers if none is.',
    ensemble: 'Every stage and head runs; the answer is the average of the heads.',
    full: 'Every stage runs and only the last head answers: the whole network.',
    stage: 'Stages up to max stage run, and that stage\'s head answers.',
  };

  /** Enables what the chosen mode reads, and shows the slider's value. */
  function syncKnob() {
    $('mode-help').textContent = MODE_HELP[$('mode').value];
    const earlyExit = $('mode').value === 'early_exit';
    $('preset').disabled = !earlyExit;
    $('threshold').disabled = !earlyExit;
    $('threshold-value').value = Number($('threshold').value).toFixed(2);
    $('max-stage').disabled = $('mode').value === 'full' || $('mode').value === 'ensemble';
  }

  function parameters() {
    const p = { mode: $('mode').value };
    if (p.mode === 'early_exit') {
      const preset = $('preset').value;
      if (preset === THRESHOLD) {
        p.threshold = Number($('threshold').value);
      } else if (preset) {
        p.preset = preset;
      }
    }
    if (p.mode === 'early_exit' || p.mode === 'stage') {
      const maxStage = $('max-stage').value;
      if (maxStage !== '') {
        p.max_stage = Number(maxStage);
      } else if (p.mode === 'stage') {
        p.max_stage = state.meta.parameters.stages.length - 1;
      }
    }
    const deadline = $('deadline').value;
    if (deadline !== '' && Number(deadline) > 0) {
      p.deadline_ms = Number(deadline);
    }
    return p;
  }

  let pending = null;

  /** Asks the server about the current image with the current knob; only the latest answer is shown. */
  function ask() {
    if (!state.meta || !state.hasImage) {
      return;
    }
    clearTimeout(pending);
    // A burst of changes (a slider dragged) asks once, 40 ms after the last; the first question at once.
    pending = setTimeout(async () => {
      const mine = ++state.asked;
      streamAnswers(mine);
      const path = `v1/models/${encodeURIComponent(state.model)}/versions/${encodeURIComponent($('version').value)}/classify`;
      try {
        const answer = await fetchJson(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ pixels: Array.from(state.pixels), parameters: parameters() }),
        });
        if (mine === state.asked) {
          hideError();
          renderAnswer(answer);
        }
      } catch (e) {
        if (mine === state.asked) {
          showError(e.message);
        }
      }
    }, state.asked === 0 ? 0 : 40);
  }

  /** Image and knob as a V2 request body. */
  function inferBody() {
    const shape = state.meta.inputs[0].shape.slice(1);
    return JSON.stringify({
      inputs: [{ name: state.meta.inputs[0].name, shape: [1, ...shape], datatype: 'FP32', data: Array.from(state.pixels) }],
      parameters: parameters(),
    });
  }

  const output = (answer, name) => answer.outputs.find((o) => o.name === name).data;

  /**
   * Streams the same question (infer_stream, Server-Sent Events) and lists each head's answer as it
   * arrives. A newer question stops reading this one, which closes the stream: the server then runs
   * no further stage for it.
   */
  async function streamAnswers(mine) {
    const list = $('refining');
    list.replaceChildren();
    const started = performance.now();
    let reader = null;
    try {
      const response = await fetch(`${modelPath()}/infer_stream`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: inferBody(),
      });
      if (!response.ok) {
        return; // the answer panel shows the error of the same question
      }
      reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (mine !== state.asked) {
          reader.cancel();
          return;
        }
        if (done) {
          return;
        }
        buffered += decoder.decode(value, { stream: true });
        const events = buffered.split(/\r?\n\r?\n/);
        buffered = events.pop();
        events.forEach((event) => {
          const data = event.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).join('\n');
          if (data) {
            list.append(refinement(JSON.parse(data), performance.now() - started));
          }
        });
      }
    } catch (e) {
      if (reader) {
        reader.cancel().catch(() => {});
      }
    }
  }

  function refinement(answer, millis) {
    const stage = output(answer, 'exit_stage')[0];
    const last = answer.parameters.triton_final_response === true;
    return el('li', { 'data-stage': `${stage}`, 'data-final': `${last}`, 'data-label': answer.parameters.labels[0] },
      el('strong', {}, `head ${stage}: ${answer.parameters.labels[0]}`),
      ` ${percent(output(answer, 'confidence')[0])} sure, after ${millis.toFixed(1)} ms`,
      last ? el('span', { class: 'final' }, ' (final)') : '');
  }

  // ---------- the answer ----------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([k, v]) => {
      if (k === 'class') {
        node.className = v;
      } else {
        node.setAttribute(k, v);
      }
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(`${c}`)));
    return node;
  }

  const percent = (v, digits = 1) => `${(100 * v).toFixed(digits)} %`;

  function renderEmptyAnswer() {
    $('answer').replaceChildren(el('p', { class: 'empty' }, 'No answer yet.'));
    delete $('answer').dataset.label;
    delete $('answer').dataset.exitStage;
    $('stages').replaceChildren();
    $('compute').replaceChildren();
    $('heads').replaceChildren();
    $('timings').tBodies[0].replaceChildren();
  }

  function renderAnswer(a) {
    if (!document.body.dataset.firstAnswerMillis) {
      document.body.dataset.firstAnswerMillis = performance.now().toFixed(0);
    }
    const stages = state.meta.parameters.stages.length;
    const answer = $('answer');
    answer.dataset.label = a.label;
    answer.dataset.exitStage = `${a.exitStage}`;
    answer.dataset.macsFraction = `${a.macsFraction}`;
    answer.replaceChildren(
      el('p', { class: 'label', id: 'answer-label' }, a.label),
      el('p', { class: 'facts' },
        el('strong', {}, percent(a.confidence)), ' sure, answered at ',
        el('strong', { id: 'answer-stage' }, `stage ${a.exitStage}`), ` of ${stages - 1}`,
        ` by ${a.rule}`,
        a.deadlineCut ? el('span', { class: 'cut' }, ' (cut short by the deadline)') : ''));

    const consulted = new Set(a.heads.map((h) => h.stage));
    const averaged = a.rule === 'ensemble';
    $('stages').replaceChildren(...Array.from({ length: stages }, (_, k) => {
      const ran = k <= a.exitStage;
      const answered = averaged ? consulted.has(k) : k === a.exitStage;
      const head = el('span', { class: `head${consulted.has(k) ? ' consulted' : ''}${answered ? ' answered' : ''}` }, `head ${k}`);
      const status = answered ? (averaged ? 'averaged' : 'answered') : consulted.has(k) ? 'not sure' : ran ? 'not read' : 'not run';
      return el('div', { class: `stage${ran ? ' ran' : ''}`, 'data-stage': k, 'data-status': status },
        el('span', { class: 'box' }, `stage ${k}`), el('br'), head, el('span', { class: 'state' }, status));
    }));

    const scale = Math.max(1.2, a.macsFraction);
    $('compute').replaceChildren(
      el('div', { class: 'meter', role: 'img', 'aria-label': `compute: ${percent(a.macsFraction)} of the full model` },
        el('span', { class: 'fill', style: `width: ${(100 * a.macsFraction) / scale}%` }),
        el('span', { class: 'full', style: `left: ${100 / scale}%` })),
      el('p', { class: 'help' }, `${percent(a.macsFraction)} of the full model's compute (the line), every graph that ran counted.`));

    const labels = state.meta.parameters.labels;
    $('heads').replaceChildren(...a.heads.map((h) => {
      const values = labels.map((label) => h.probabilities[label]);
      const best = values.indexOf(Math.max(...values));
      const answered = averaged || h.stage === a.exitStage;
      return el('div', { class: `head-probs${answered ? ' answered' : ''}` },
        el('h4', {}, `head ${h.stage}: ${labels[best]}`),
        ...labels.map((label, c) => el('div', { class: `bar-row${c === best ? ' top' : ''}` },
          el('span', {}, label),
          el('span', { class: 'track' }, el('span', { style: `width: ${100 * values[c]}%` })),
          el('span', { class: 'value' }, values[c].toFixed(3)))));
    }));

    $('timings').tBodies[0].replaceChildren(...a.stageMillis.map((t) =>
      el('tr', {}, el('td', {}, `${t.stage}`), el('td', {}, t.millis.toFixed(3)))));
  }

  function showError(message) {
    const box = $('error');
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    $('error').hidden = true;
  }

  // ---------- the model card ----------

  function renderCard() {
    const p = state.meta.parameters;
    const accuracy = p.evaluation ? p.evaluation.headAccuracy : [];
    $('stage-table').tBodies[0].replaceChildren(...p.stages.map((s) => el('tr', {},
      el('td', {}, `${s.stage}`),
      el('td', {}, s.stageMacs.toLocaleString('en')),
      el('td', {}, s.headMacs.toLocaleString('en')),
      el('td', {}, percent(s.earlyExitMacsFraction)),
      el('td', {}, percent(s.stageModeMacsFraction)),
      el('td', {}, accuracy.length ? percent(accuracy[s.stage], 2) : '–'))));
    $('evaluation').textContent = p.evaluation
      ? `Full model: ${p.fullModelMacs.toLocaleString('en')} MACs per image. Measured on ${p.evaluation.dataset}; ensemble of all heads ${percent(p.evaluation.ensembleAccuracy, 2)}`
        + (p.evaluation.backpropAccuracy ? `; the same network trained by backprop ${percent(p.evaluation.backpropAccuracy, 2)}.` : '.')
      : `Full model: ${p.fullModelMacs.toLocaleString('en')} MACs per image.`;
    $('preset-table').tBodies[0].replaceChildren(...Object.entries(p.presets).map(([name, preset]) => el('tr', {},
      el('td', {}, name),
      el('td', {}, preset.rule || 'max_softmax'),
      el('td', {}, preset.patience ? `${preset.patience} heads agree` : (preset.thresholds || preset.entropy || []).join(', ')),
      el('td', {}, preset.testAccuracy != null ? percent(preset.testAccuracy, 2) : '–'),
      el('td', {}, preset.meanMacsFraction != null ? percent(preset.meanMacsFraction) : '–'))));
    renderCurve(p);
  }

  function renderCurve(p) {
    const svg = $('curve');
    const ns = 'http://www.w3.org/2000/svg';
    const node = (tag, attributes, text) => {
      const n = document.createElementNS(ns, tag);
      Object.entries(attributes).forEach(([k, v]) => n.setAttribute(k, v));
      if (text != null) {
        n.textContent = text;
      }
      return n;
    };
    [...svg.querySelectorAll('g')].forEach((g) => g.remove());
    if (!p.evaluation) {
      return;
    }
    const points = [];
    p.stages.forEach((s) => points.push({ x: s.stageModeMacsFraction, y: p.evaluation.headAccuracy[s.stage], kind: 'head', label: `head ${s.stage}` }));
    // Presets are numbered on the chart and named in the key below it: their points crowd together.
    const key = [];
    Object.entries(p.presets).forEach(([name, preset]) => {
      if (preset.testAccuracy != null && preset.meanMacsFraction != null) {
        key.push(name);
        points.push({ x: preset.meanMacsFraction, y: preset.testAccuracy, kind: 'preset', label: `${key.length}`, name });
      }
    });
    if (p.evaluation.ensembleAccuracy != null) {
      points.push({ x: p.stages[p.stages.length - 1].earlyExitMacsFraction, y: p.evaluation.ensembleAccuracy, kind: 'ensemble', label: 'ensemble' });
    }
    $('curve-key').replaceChildren(...key.map((name, i) => el('li', {}, `${i + 1} ${name}`)));
    const box = { left: 56, right: 620, top: 16, bottom: 284 };
    const xMax = Math.max(1.2, ...points.map((q) => q.x));
    const yMin = Math.min(...points.map((q) => q.y)) - 0.005;
    const yMax = Math.max(...points.map((q) => q.y)) + 0.003;
    const sx = (x) => box.left + (x / xMax) * (box.right - box.left);
    const sy = (y) => box.bottom - ((y - yMin) / (yMax - yMin)) * (box.bottom - box.top);
    const g = node('g', {});
    for (let t = 0; t <= xMax + 1e-9; t += 0.2) {
      g.append(node('line', { class: 'grid', x1: sx(t), x2: sx(t), y1: box.top, y2: box.bottom }));
      g.append(node('text', { x: sx(t), y: box.bottom + 16, 'text-anchor': 'middle' }, `${Math.round(t * 100)} %`));
    }
    const step = (yMax - yMin) / 4;
    for (let i = 0; i <= 4; i++) {
      const y = yMin + i * step;
      g.append(node('line', { class: 'grid', x1: box.left, x2: box.right, y1: sy(y), y2: sy(y) }));
      g.append(node('text', { x: box.left - 6, y: sy(y) + 4, 'text-anchor': 'end' }, `${(100 * y).toFixed(1)} %`));
    }
    g.append(node('line', { class: 'axis', x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom }));
    g.append(node('line', { class: 'axis', x1: box.left, x2: box.left, y1: box.top, y2: box.bottom }));
    g.append(node('text', { x: (box.left + box.right) / 2, y: 316, 'text-anchor': 'middle' }, 'mean compute, fraction of the full model'));
    const heads = points.filter((q) => q.kind === 'head');
    g.append(node('polyline', { class: 'heads-line', points: heads.map((q) => `${sx(q.x)},${sy(q.y)}`).join(' ') }));
    // Presets that landed on the same point (the patience presets often do) share one label.
    const groups = new Map();
    points.forEach((q) => {
      const at = `${q.x.toFixed(4)}|${q.y.toFixed(4)}|${q.kind}`;
      if (groups.has(at)) {
        const group = groups.get(at);
        group.label += `,${q.label}`;
        group.title += `, ${q.name || q.label}`;
      } else {
        groups.set(at, { ...q, title: q.name || q.label });
      }
    });
    const taken = [];
    const overlaps = (a) => taken.some((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
    [...groups.values()].forEach((q) => {
      const x = sx(q.x);
      const y = sy(q.y);
      const circle = node('circle', { class: `${q.kind}-point`, cx: x, cy: y, r: 4 });
      circle.append(node('title', {}, `${q.title}: ${percent(q.y, 2)} at ${percent(q.x)} of the compute`));
      g.append(circle);
      taken.push({ x: x - 5, y: y - 5, w: 10, h: 10 });
    });
    [...groups.values()].forEach((q) => {
      const x = sx(q.x);
      const y = sy(q.y);
      const width = 6.5 * q.label.length;
      const candidates = [[6, -16], [6, 2], [-6 - width, -16], [-6 - width, 2], [6, -30], [6, 16], [-6 - width, -30], [-6 - width, 16]];
      const spot = candidates.map(([dx, dy]) => ({ x: x + dx, y: y + dy, w: width, h: 13 }))
        .find((c) => !overlaps(c) && c.x >= box.left && c.x + c.w <= box.right + 18) || { x: x + 6, y: y - 16, w: width, h: 13 };
      taken.push(spot);
      g.append(node('text', { class: 'point-label', x: spot.x, y: spot.y + 10 }, q.label));
    });
    svg.append(g);
  }

  // ---------- live view ----------

  function parseMetrics(text) {
    const samples = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) {
        continue;
      }
      const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/);
      if (!m) {
        continue;
      }
      const labels = {};
      for (const pair of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[pair[1]] = pair[2];
      }
      samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return samples;
  }

  function snapshot(samples) {
    const model = state.model;
    const sum = (name, filter) => samples
      .filter((s) => s.name === name && s.labels.model === model && (!filter || filter(s.labels)))
      .reduce((a, s) => a + s.value, 0);
    const stages = state.meta.parameters.stages.map((s) => `${s.stage}`);
    return {
      at: performance.now(),
      requests: sum('lctserve_requests_seconds_count'),
      exits: stages.map((k) => sum('lctserve_exits_total', (l) => l.stage === k)),
      saved: sum('lctserve_macs_saved_total'),
      overspent: sum('lctserve_macs_overspent_total'),
      queueSum: sum('lctserve_queue_seconds_sum'),
      queueCount: sum('lctserve_queue_seconds_count'),
      batchSum: stages.map((k) => sum('lctserve_batch_size_sum', (l) => l.stage === k)),
      batchCount: stages.map((k) => sum('lctserve_batch_size_count', (l) => l.stage === k)),
      degraded: sum('lctserve_degraded_total'),
      // refused with 503: at admission, for a full queue, or for a deadline it could not meet
      refused: sum('lctserve_refused_total')
        + sum('lctserve_requests_seconds_count', (l) => l.outcome === 'busy' || l.outcome === 'deadline'),
    };
  }

  function bars(container, rows) {
    const max = Math.max(1e-9, ...rows.map((r) => r.value));
    container.replaceChildren(...rows.map((r) => el('div', { class: 'bar-row', 'data-stage': r.stage },
      el('span', {}, r.label),
      el('span', { class: 'track' }, el('span', { style: `width: ${(100 * r.value) / max}%` })),
      el('span', { class: 'value' }, r.text))));
  }

  function renderLive(now, before) {
    const interval = before && now.exits.reduce((a, b) => a + b, 0) > before.exits.reduce((a, b) => a + b, 0);
    const base = interval ? before : { at: now.at - 1, requests: 0, exits: now.exits.map(() => 0), saved: 0, overspent: 0, queueSum: 0, queueCount: 0, batchSum: now.batchSum.map(() => 0), batchCount: now.batchCount.map(() => 0), degraded: 0, refused: 0 };
    const seconds = (now.at - base.at) / 1000;
    const exits = now.exits.map((e, k) => e - base.exits[k]);
    const answers = exits.reduce((a, b) => a + b, 0);
    const full = state.meta.parameters.fullModelMacs;
    $('live-rps').textContent = interval ? ((now.requests - base.requests) / seconds).toFixed(1) : '0';
    $('live-answers').textContent = interval ? (answers / seconds).toFixed(1) : '0';
    $('live-saved').textContent = answers > 0 ? percent(((now.saved - base.saved) - (now.overspent - base.overspent)) / (answers * full)) : '–';
    const queued = now.queueCount - base.queueCount;
    $('live-queue').textContent = queued > 0 ? `${((1000 * (now.queueSum - base.queueSum)) / queued).toFixed(2)} ms` : '–';
    const degraded = now.degraded - base.degraded;
    $('live-degraded').textContent = answers > 0 ? `${degraded} (${percent(degraded / answers, 1)})` : '–';
    const refused = now.refused - base.refused;
    $('live-refused').textContent = `${refused}`;
    bars($('live-exits'), exits.map((e, k) => ({ stage: k, label: `stage ${k}`, value: e, text: answers > 0 ? `${e} (${percent(e / answers, 0)})` : '0' })));
    bars($('live-batch'), now.batchSum.map((s, k) => {
      const n = now.batchCount[k] - base.batchCount[k];
      const mean = n > 0 ? (s - base.batchSum[k]) / n : 0;
      return { stage: k, label: `stage ${k}`, value: mean, text: n > 0 ? `${mean.toFixed(2)} in ${n} runs` : '–' };
    }));
    $('live-status').textContent = interval
      ? `The last ${seconds.toFixed(1)} s on ${state.model}.`
      : `No answers in the last ${LIVE_SECONDS} s on ${state.model}: totals since the server started.`;
    $('live').dataset.answers = `${now.exits.reduce((a, b) => a + b, 0)}`;
  }

  /** Each preset's live differing share (metadata parameters.live), recalibrated presets marked. */
  function renderAgreement(meta) {
    const live = (meta && meta.parameters && meta.parameters.live) || [];
    const recalibrated = (meta && meta.parameters && meta.parameters.recalibrated) || {};
    const share = (v) => (v == null ? '–' : percent(v, 2));
    $('live-agreement').querySelector('tbody').replaceChildren(...live.map((p) => el('tr', { 'data-preset': p.preset },
      el('td', {}, p.preset),
      el('td', {}, `${p.verified}`),
      el('td', {}, p.window > 0 ? `${share(p.disagreement)} (${share(p.lower)}–${share(p.upper)})` : '–'),
      el('td', {}, share(p.calibrated)),
      el('td', {}, recalibrated[p.preset] ? `${p.state}, recalibrated` : p.state))));
    const shift = meta && meta.parameters && meta.parameters.shift;
    $('live-shift').textContent = shift
      ? `Traffic moved (${shift.when}): ${shift.preset}'s answers went ${shift.direction}, `
        + `${shift.live.toFixed(3)} of the full model's MACs over its newest ${shift.answers} against `
        + `${shift.expected.toFixed(3)} expected; more answers are verified until recalibration has its evidence.`
      : 'No traffic shift seen: each preset\'s answers go as deep as its setting expects.';
  }

  function startLive() {
    const poll = async () => {
      try {
        const response = await fetch('actuator/prometheus');
        if (!response.ok) {
          throw new Error(`${response.status} ${response.statusText}`);
        }
        const now = snapshot(parseMetrics(await response.text()));
        renderLive(now, state.live);
        state.live = now;
        renderAgreement(await fetchJson(modelPath()));
      } catch (e) {
        $('live-status').textContent = `Metrics are not available: ${e.message}`;
      }
    };
    poll();
    setInterval(poll, LIVE_SECONDS * 1000);
  }

  document.addEventListener('DOMContentLoaded', init);
})();

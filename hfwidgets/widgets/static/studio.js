// The Studio view: banner, image input, settings, motion grid, actions, one status
// area (progress and cost), code box, result and history, all parts of one view of
// one model. Settings are traits the view sets; buttons send messages.

const SEED_MAX = 1000000;

function numberField(ctx, labelKey, className) {
  const input = node("input", "hfw-number");
  input.type = "number";
  input.inputMode = "numeric";
  input.step = "1";
  const made = field(ctx.t(labelKey), input, className);
  return { ...made, labelKey };
}

function controlsPart(ctx) {
  const { model, t } = ctx;
  const root = node("div", "hfw-controls");
  const labelled = [];

  const modelSelect = node("select", "hfw-select");
  const modelField = field(t("model"), modelSelect, "hfw-model");
  labelled.push([modelField.label, "model"]);

  const seed = numberField(ctx, "seed", "hfw-seed");
  seed.control.min = "1";
  seed.control.max = String(SEED_MAX);
  labelled.push([seed.label, "seed"]);
  const newSeed = button("hfw-new-seed");
  const keep = node("input", "hfw-check");
  keep.type = "checkbox";
  const keepField = node("label", "hfw-check-field hfw-seed-lock");
  const keepText = node("span");
  keepField.append(keep, keepText);
  const seedRow = node("div", "hfw-row hfw-seed-row");
  seedRow.append(seed.wrap, newSeed, keepField);

  const sizeSelect = node("select", "hfw-select");
  const sizeField = field(t("size"), sizeSelect, "hfw-size-preset");
  labelled.push([sizeField.label, "size"]);
  const width = numberField(ctx, "width", "hfw-width");
  const height = numberField(ctx, "height", "hfw-height");
  for (const side of [width, height]) {
    side.control.min = "64";
    side.control.max = "2048";
    side.control.step = "8";
    labelled.push([side.label, side.labelKey]);
  }
  const sizeRow = node("div", "hfw-row hfw-size-row");
  sizeRow.append(sizeField.wrap, width.wrap, height.wrap);

  const prompt = node("textarea", "hfw-textarea");
  prompt.rows = 3;
  const promptField = field(t("prompt"), prompt, "hfw-prompt");
  labelled.push([promptField.label, "prompt"]);
  const enhance = node("input", "hfw-check");
  enhance.type = "checkbox";
  const enhanceField = node("label", "hfw-check-field hfw-enhance");
  const enhanceText = node("span");
  enhanceField.append(enhance, enhanceText);

  root.append(modelField.wrap, seedRow, sizeRow, promptField.wrap, enhanceField);

  function options(select, list) {
    const wanted = JSON.stringify(list);
    if (select.dataset.options === wanted) return;
    select.dataset.options = wanted;
    select.replaceChildren(
      ...list.map(([value, label]) => {
        const option = node("option", "", label);
        option.value = value;
        return option;
      }),
    );
  }

  function show() {
    for (const [label, key] of labelled) label.textContent = t(key);
    newSeed.textContent = t("new_seed");
    keepText.textContent = t("keep_seed");
    enhanceText.textContent = t("enhance_prompt");
    prompt.placeholder = t("prompt_placeholder");
    const choices = model.get("choices") || {};
    options(modelSelect, choices.models || []);
    options(sizeSelect, [...(choices.sizes || []), ["custom", t("size_custom")]]);
    const active = document.activeElement;
    modelSelect.value = model.get("model");
    sizeSelect.value = model.get("size");
    keep.checked = !!model.get("keep_seed");
    enhance.checked = !!model.get("enhance_prompt");
    if (active !== seed.control) seed.control.value = String(model.get("seed") ?? "");
    if (active !== width.control) width.control.value = String(model.get("width") ?? "");
    if (active !== height.control) height.control.value = String(model.get("height") ?? "");
    if (active !== prompt) prompt.value = model.get("prompt") || "";
  }

  function intOf(input) {
    const text = input.value.trim();
    return /^-?\d+$/.test(text) ? Number(text) : null;
  }

  // Field values reach the kernel when committed (change / Enter) and before every button.
  function commitSeed() {
    const value = intOf(seed.control);
    if (value === null || value === model.get("seed")) return;
    model.set("seed", value);
    model.set("keep_seed", true); // a typed seed is meant to be used
    model.save_changes();
  }
  function commitSize() {
    const w = intOf(width.control);
    const h = intOf(height.control);
    if (w === null || h === null || (w === model.get("width") && h === model.get("height"))) return;
    model.set("width", w);
    model.set("height", h);
    model.save_changes();
  }
  function commitPrompt() {
    if (prompt.value !== model.get("prompt")) ctx.set("prompt", prompt.value);
  }
  ctx.commit = () => {
    commitSeed();
    commitSize();
    commitPrompt();
  };
  keepDrafts(ctx, ctx.commit); // fields typed but not committed when the view is drawn anew

  let promptTimer = null;
  ctx.on(modelSelect, "change", () => ctx.set("model", modelSelect.value));
  ctx.on(sizeSelect, "change", () => ctx.set("size", sizeSelect.value));
  ctx.on(keep, "change", () => ctx.set("keep_seed", keep.checked));
  ctx.on(enhance, "change", () => ctx.set("enhance_prompt", enhance.checked));
  ctx.on(newSeed, "click", () => {
    model.set("seed", 1 + Math.floor(Math.random() * SEED_MAX));
    model.save_changes();
  });
  for (const input of [seed.control, width.control, height.control]) {
    const commit = input === seed.control ? commitSeed : commitSize;
    ctx.on(input, "change", commit);
    ctx.on(input, "keydown", (event) => event.key === "Enter" && commit());
  }
  ctx.on(prompt, "change", commitPrompt);
  ctx.on(prompt, "input", () => {
    clearTimeout(promptTimer);
    promptTimer = setTimeout(commitPrompt, 400);
  });
  ctx.cleanup(() => clearTimeout(promptTimer));
  ctx.watch(["model", "size", "seed", "keep_seed", "width", "height", "prompt", "enhance_prompt", "choices", "lang"], show);
  show();
  return root;
}

function actionsPart(ctx) {
  const { model, t } = ctx;
  const root = node("div", "hfw-actions-row");
  const generate = button("hfw-generate hfw-primary");
  const cancel = button("hfw-cancel");
  const copy = button("hfw-copy-code");
  root.append(generate, cancel, copy);
  const status = statusPart(ctx);
  const codeBox = node("div", "hfw-code-box");
  const code = node("textarea", "hfw-code");
  code.readOnly = true;
  code.rows = 12;
  code.spellcheck = false;
  const copied = node("div", "hfw-code-note");
  codeBox.append(code, copied);
  let copyAsked = false;

  function show() {
    const busy = model.get("busy") || "";
    generate.textContent = busy === "submitting" ? t("submitting") : busy === "waiting" ? t("waiting") : t("generate");
    // The accessible name stays "Generate" while busy: the visible text says why it is disabled.
    generate.setAttribute("aria-label", t("generate"));
    generate.disabled = !!busy;
    cancel.textContent = t("cancel");
    cancel.disabled = busy !== "waiting";
    copy.textContent = t("copy_as_code");
    const text = model.get("code") || "";
    codeBox.hidden = !text;
    code.value = text;
    code.setAttribute("aria-label", t("code"));
    if (text && copyAsked) {
      copyAsked = false;
      const done = () => (copied.textContent = t("copied"));
      const blocked = () => {
        copied.textContent = t("copy_blocked");
        code.select();
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, blocked);
      else blocked();
    }
  }
  ctx.on(generate, "click", () => {
    if (ctx.commit) ctx.commit();
    ctx.send("generate");
  });
  ctx.on(cancel, "click", () => ctx.send("cancel"));
  ctx.on(copy, "click", () => {
    if (ctx.commit) ctx.commit();
    copyAsked = true;
    copied.textContent = "";
    ctx.send("copy");
  });
  ctx.watch(["busy", "code", "lang"], show);
  show();
  return { actions: root, status, codeBox };
}

// The progress bar of the running task (trait `progress`: {value, max, text} in seconds):
// named "Progress", "about N s left" beside it; full when the video is here, gone when none
// is coming. Outside the status area, so it is not read out at each tick.
function progressPart(ctx) {
  const root = node("div", "hfw-progress");
  const bar = node("div", "hfw-progress-bar");
  const fill = node("div", "hfw-progress-fill");
  const text = node("span");
  bar.setAttribute("role", "progressbar");
  bar.append(fill);
  root.append(bar, text);
  const show = () => {
    const { value = 0, max = 0, text: said = "" } = ctx.model.get("progress") || {};
    root.hidden = !max;
    bar.setAttribute("aria-label", ctx.t("progress_bar"));
    for (const [name, number] of Object.entries({ min: 0, now: value, max })) bar.setAttribute(`aria-value${name}`, number);
    bar.setAttribute("aria-valuetext", (text.textContent = said));
    fill.style.width = `${(100 * value) / (max || 1)}%`;
  };
  ctx.watch(["progress", "lang"], show);
  show();
  return root;
}

function historyPart(ctx) {
  const { model, t } = ctx;
  const root = node("div", "hfw-history");
  const heading = node("div", "hfw-history-title");
  const list = node("ul", "hfw-history-list");
  const chooser = compareChooser(ctx);
  root.append(heading, list, chooser.bar);
  const items = new Map();

  function buildItem(entry) {
    const item = node("li", "hfw-history-item");
    const thumb = node("img", "hfw-history-thumb");
    const show = button("hfw-history-show");
    const reuse = button("hfw-reuse");
    const body = node("div", "hfw-history-body");
    const note = node("div", "hfw-history-note");
    body.append(show, note, reuse, chooser.pick(entry));
    item.append(thumb, body);
    ctx.on(show, "click", () => ctx.send("show", { n: entry.n }));
    ctx.on(reuse, "click", () => ctx.send("reuse", { n: entry.n }));
    return { item, thumb, show, reuse, note };
  }

  function render() {
    const entries = [...(model.get("history") || [])].sort((a, b) => b.n - a.n); // newest first
    const selected = model.get("shown_entry");
    heading.textContent = t("history");
    list.setAttribute("aria-label", t("history"));
    root.hidden = entries.length === 0;
    const kept = new Set();
    for (const entry of entries) {
      let parts = items.get(entry.n);
      if (!parts) {
        parts = buildItem(entry);
        items.set(entry.n, parts);
      }
      kept.add(entry.n);
      parts.show.textContent = entry.label;
      parts.show.title = entry.task_id || "";
      parts.show.setAttribute("aria-pressed", entry.n === selected ? "true" : "false");
      parts.note.textContent = entry.note || "";
      parts.note.hidden = !entry.note;
      parts.reuse.textContent = t("use_params");
      parts.reuse.disabled = !entry.reusable;
      chooser.pick(entry);
      parts.thumb.alt = t("history_thumb", { n: entry.n });
      parts.thumb.hidden = !entry.thumb;
      if (parts.thumb.dataset.ref !== (entry.thumb || "")) {
        setMedia(ctx, parts.thumb, entry.thumb || "", () => (parts.thumb.hidden = true));
      }
      list.append(parts.item); // appending in order keeps newest first
    }
    for (const [n, parts] of items) {
      if (!kept.has(n)) {
        parts.item.remove();
        items.delete(n);
      }
    }
    chooser.done(kept);
  }
  ctx.watch(["history", "shown_entry", "lang"], render);
  render();
  return root;
}

function render({ model, el }) {
  const ctx = context(model, el, "hfw-studio");
  const { banner, notice, error } = topParts(ctx);
  const top = node("div", "hfw-studio-top");
  top.append(frameInputs(ctx), controlsPart(ctx));
  const { actions, status, codeBox } = actionsPart(ctx);
  const sketchToggle = sketchPart(ctx); // before the grid: it dresses the tiles
  const grid = motionGrid(ctx);
  const progress = progressPart(ctx);
  el.replaceChildren(banner, notice, error, top, sketchToggle, grid, actions, status, progress, codeBox, resultPart(ctx, "result_state"), historyPart(ctx), comparePart(ctx, true));
  pasteAnywhere(ctx, el);
  return () => ctx.destroy();
}

export default { render };

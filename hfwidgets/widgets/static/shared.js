// Helpers every view shares. `_assets.compose_esm` puts STRINGS (the table of
// _i18n.py) and KEY_ENV in front of this file, then the parts a view needs, then
// the view itself. Every string from the kernel or the service is untrusted: it
// is only ever written with textContent / setAttribute, never parsed as HTML.

function isHttpUrl(value) {
  return typeof value === "string" && /^https?:\/\//i.test(value);
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

function button(className, text, label) {
  const element = node("button", className, text);
  element.type = "button";
  if (label) element.setAttribute("aria-label", label);
  return element;
}

// A form field with a visible <label for=...>: its accessible name is the label text.
let fieldCounter = 0;
function field(labelText, control, className) {
  const wrap = node("div", `hfw-field ${className || ""}`.trim());
  const id = `hfw-f${++fieldCounter}-${Math.random().toString(36).slice(2, 7)}`;
  control.id = id;
  const label = node("label", "hfw-label", labelText);
  label.htmlFor = id;
  wrap.append(label, control);
  return { wrap, label, control };
}

function format(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (whole, name) =>
    values && name in values ? String(values[name]) : whole,
  );
}

// The translator of one view: reads the widget's `lang` each time, so a change applies at once.
function translator(model) {
  return (key, values) => {
    const table = STRINGS[model.get("lang")] || STRINGS.en;
    return format(key in table ? table[key] : STRINGS.en[key] ?? key, values);
  };
}

// Media refs in the state are either an http(s) URL (the browser loads it) or
// "media:<key>": the kernel sends the bytes over the widget channel on request
// (the embedded emulator's 127.0.0.1 may be out of the browser's reach), and
// they become a blob: URL. Bytes never enter the saved state.
function mediaLoader(model) {
  const cache = new Map();
  const waiting = new Map();
  const onMessage = (message, buffers) => {
    if (!message || message.type !== "media") return;
    const pending = waiting.get(message.key);
    if (!pending) return;
    waiting.delete(message.key);
    clearTimeout(pending.timer);
    if (message.error || !buffers || !buffers.length) {
      cache.delete(message.key);
      pending.reject(new Error(message.error || "no media"));
      return;
    }
    const blob = new Blob([buffers[0]], { type: message.mime || "application/octet-stream" });
    pending.resolve(URL.createObjectURL(blob));
  };
  model.on("msg:custom", onMessage);
  function url(ref) {
    if (isHttpUrl(ref)) return Promise.resolve(ref);
    if (typeof ref !== "string" || !ref.startsWith("media:")) return Promise.resolve("");
    const key = ref.slice(6);
    if (!cache.has(key)) {
      const promise = new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          cache.delete(key);
          reject(new Error("timed out"));
        }, 120000);
        waiting.set(key, { resolve, reject, timer });
        model.send({ type: "media", key });
      });
      cache.set(key, promise);
    }
    return cache.get(key);
  }
  function destroy() {
    model.off("msg:custom", onMessage);
    for (const pending of waiting.values()) clearTimeout(pending.timer);
    for (const promise of cache.values()) {
      promise.then((u) => u.startsWith("blob:") && URL.revokeObjectURL(u), () => {});
    }
  }
  return { url, destroy };
}

// Puts a media ref on an <img>/<video> `src`; `onFail` runs when it cannot be had.
function setMedia(ctx, element, ref, onFail) {
  const wanted = ref || "";
  element.dataset.ref = wanted;
  if (!wanted) {
    element.removeAttribute("src");
    return;
  }
  ctx.media.url(wanted).then(
    (u) => {
      if (element.dataset.ref !== wanted) return;
      if (u) element.setAttribute("src", u);
      else if (onFail) onFail();
    },
    () => {
      if (element.dataset.ref === wanted && onFail) onFail();
    },
  );
}

// What a view being removed still holds only in itself (a field typed but not committed) goes to
// the model, so the view drawn next (a host draws a widget anew when its output is updated) shows it.
// `commit` runs when the view is removed; a model already closed takes nothing.
function keepDrafts(ctx, commit) {
  ctx.cleanup(() => {
    try {
      commit();
    } catch (error) {
      console.debug("hfwidgets: typed values not kept", error);
    }
  });
}

// The view context shared by the parts of one view: model, translator, media, cleanups.
function context(model, el, rootClass) {
  const listeners = new AbortController();
  const cleanups = [];
  const ctx = {
    model,
    t: translator(model),
    media: mediaLoader(model),
    on(target, type, handler) {
      target.addEventListener(type, handler, { signal: listeners.signal });
    },
    watch(names, handler) {
      for (const name of names) {
        model.on(`change:${name}`, handler);
        cleanups.push(() => model.off(`change:${name}`, handler));
      }
    },
    // Fields of one dict trait (`scope`) or top-level traits, the same way for every part.
    reader(scope) {
      return scope ? (name) => (model.get(scope) || {})[name] : (name) => model.get(name);
    },
    send(type, content, buffers) {
      model.send({ type, ...(content || {}) }, undefined, buffers);
    },
    set(name, value) {
      model.set(name, value);
      model.save_changes();
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
    destroy() {
      listeners.abort();
      ctx.media.destroy();
      for (const fn of cleanups.splice(0)) fn();
    },
  };
  el.classList.add("hfw", rootClass);
  watchConnection(ctx, el);
  return ctx;
}

// A view with no kernel behind it looks live but is not: a notebook reopened from its saved
// widget state, or a view of a kernel restarted since. The kernel answers a "ping" (sent when
// the view is drawn, when the host says the link changed, and when the view is used after a
// quiet spell); without an answer within PING_TIMEOUT_MS the view says so and disables its
// controls. A late answer (a kernel busy with a long cell) brings it back.
const PING_TIMEOUT_MS = 5000;
const PING_AGAIN_MS = 10000;

function watchConnection(ctx, el) {
  const { model } = ctx;
  const note = node("div", "hfw-offline-note");
  note.setAttribute("role", "note");
  let pending = null;
  let timer = null;
  let answeredAt = 0;
  let count = 0;
  ctx.offline = false;

  function setOffline(offline) {
    if (ctx.offline === offline) return;
    ctx.offline = offline;
    el.classList.toggle("hfw-offline", offline);
    for (const control of el.querySelectorAll("button, input, select, textarea")) {
      if (offline && !control.disabled) {
        control.disabled = true;
        control.dataset.hfwOffline = "1";
      } else if (!offline && control.dataset.hfwOffline) {
        control.disabled = false;
        delete control.dataset.hfwOffline;
      }
    }
    for (const list of el.querySelectorAll('[role="listbox"]')) {
      if (offline) list.setAttribute("aria-disabled", "true");
      else list.removeAttribute("aria-disabled");
    }
    note.textContent = ctx.t("not_connected");
    if (offline) el.prepend(note);
    else note.remove();
  }
  function ping() {
    if (pending) return;
    pending = `${++count}-${Math.random().toString(36).slice(2, 9)}`;
    try {
      model.send({ type: "ping", id: pending });
    } catch (error) {
      // no link to send on: no answer will come
    }
    timer = setTimeout(() => setOffline(true), PING_TIMEOUT_MS);
  }
  const onMessage = (message) => {
    if (!message || message.type !== "pong" || message.id !== pending) return;
    pending = null;
    answeredAt = Date.now();
    clearTimeout(timer);
    setOffline(false);
  };
  const onLink = () => ping();
  const onUse = () => {
    if (ctx.offline || Date.now() - answeredAt > PING_AGAIN_MS) ping();
  };
  model.on("msg:custom", onMessage);
  model.on("comm_live_update", onLink); // ipywidgets hosts: the comm closed or the kernel restarted
  ctx.cleanup(() => {
    model.off("msg:custom", onMessage);
    model.off("comm_live_update", onLink);
    clearTimeout(timer);
  });
  ctx.on(el, "pointerdown", onUse);
  ctx.on(el, "keydown", onUse);
  ping();
}

// The parts every widget shows on top: emulator banner, notice, error area, cost line.
function topParts(ctx) {
  const { t } = ctx;
  const banner = node("div", "hfw-banner hfw-banner-emulated");
  const title = node("strong");
  const text = node("span");
  banner.append(title, " ", text);
  const notice = node("div", "hfw-notice");
  const error = node("div", "hfw-error");
  error.setAttribute("role", "alert");
  function show() {
    banner.hidden = !ctx.model.get("emulated");
    title.textContent = t("emulator_title");
    text.textContent = t("emulator_text", { env: KEY_ENV });
    const noticeText = ctx.model.get("notice") || "";
    notice.textContent = noticeText;
    notice.hidden = !noticeText;
    const errorText = ctx.model.get("error") || "";
    error.textContent = errorText ? `⚠ ${errorText}` : "";
    error.hidden = !errorText;
  }
  ctx.watch(["emulated", "notice", "error", "lang"], show);
  show();
  return { banner, notice, error };
}

function costPart(ctx) {
  const line = node("div", "hfw-cost");
  const text = node("span");
  const warning = node("strong", "hfw-cost-warning");
  line.append(text, warning);
  function show() {
    const cost = ctx.model.get("cost") || {};
    text.textContent = cost.text || "";
    warning.textContent = cost.warning ? ` · ${cost.warning}` : "";
    line.hidden = !cost.text;
  }
  ctx.watch(["cost"], show);
  show();
  return line;
}

// The one role="status" element of a view: the progress line (trait `status`) and the cost line.
function statusPart(ctx) {
  const area = node("div", "hfw-status-area");
  area.setAttribute("role", "status");
  const progress = node("div", "hfw-status");
  area.append(progress, costPart(ctx));
  const show = () => (progress.textContent = ctx.model.get("status") || "");
  ctx.watch(["status"], show);
  show();
  return area;
}

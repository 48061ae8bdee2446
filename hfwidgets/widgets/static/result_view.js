// ResultView front end: the video (embedded by URL), status, enhanced prompt,
// parameters table, a lazily built tree of the raw feed JSON, and a Download
// button that asks the kernel to save the mp4. Strings from the feed are only
// ever written with textContent / setAttribute.

const CHUNK = 100; // children of a JSON node built per "show more"
const PENDING = new Set(["queued", "in_progress"]);

function isHttpUrl(value) {
  return typeof value === "string" && /^https?:\/\//i.test(value);
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function summaryOf(value) {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  const keys = Object.keys(value).length;
  return `{${keys} key${keys === 1 ? "" : "s"}}`;
}

function leaf(key, value) {
  const row = node("div", "hfw-json-leaf");
  if (key !== null) row.append(node("span", "hfw-json-key", `${key}: `));
  const kind = value === null ? "null" : typeof value;
  row.append(node("span", `hfw-json-value hfw-json-${kind}`, JSON.stringify(value)));
  return row;
}

// One collapsible node; its children are built the first time it is opened.
function branch(key, value, label) {
  const details = node("details", "hfw-json-node");
  const summary = node("summary");
  summary.append(node("span", "hfw-json-key", label ?? `${key}`), node("span", "hfw-json-meta", ` ${summaryOf(value)}`));
  const body = node("div", "hfw-json-children");
  details.append(summary, body);
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  let built = 0;
  const more = node("button", "hfw-json-more");
  more.type = "button";
  const buildNext = () => {
    const fragment = document.createDocumentFragment();
    const end = Math.min(entries.length, built + CHUNK);
    for (; built < end; built++) {
      const [childKey, child] = entries[built];
      fragment.append(child !== null && typeof child === "object" ? branch(childKey, child) : leaf(childKey, child));
    }
    more.remove();
    body.append(fragment);
    if (built < entries.length) {
      more.textContent = `Show ${Math.min(CHUNK, entries.length - built)} more of ${entries.length - built}`;
      body.append(more);
    }
  };
  more.addEventListener("click", buildNext);
  details.addEventListener("toggle", () => {
    if (details.open && built === 0) buildNext();
  });
  return details;
}

function render({ model, el }) {
  const listeners = new AbortController();
  const on = (target, type, handler) => target.addEventListener(type, handler, { signal: listeners.signal });

  el.classList.add("hfw-result");
  const status = node("div", "hfw-result-status");
  status.setAttribute("aria-live", "polite");
  const error = node("div", "hfw-error");
  error.setAttribute("role", "alert");
  const stage = node("div", "hfw-stage");
  const note = node("div", "hfw-video-note");
  const prompt = node("p", "hfw-prompt-text");
  const params = node("table", "hfw-params");
  const actions = node("div", "hfw-actions");
  const download = node("button", "hfw-download", "Download mp4");
  download.type = "button";
  const saved = node("span", "hfw-download-path");
  actions.append(download, saved);
  const tree = node("div", "hfw-json-tree");
  el.replaceChildren(status, error, stage, note, actions, prompt, params, tree);

  let video = null;

  function showStage() {
    const url = model.get("video_url");
    const state = model.get("status") || "";
    if (isHttpUrl(url)) {
      // Keep the element (and its playback) when only other fields changed.
      if (video && video.getAttribute("src") === url) return;
      video = node("video", "hfw-video");
      for (const flag of ["controls", "loop", "muted", "playsinline"]) video.setAttribute(flag, "");
      video.muted = true; // the attribute alone does not mute a video created from script
      video.preload = "auto";
      video.addEventListener("error", () => {
        note.textContent = "The video could not be loaded from its URL.";
      });
      video.setAttribute("src", url);
      note.textContent = "";
      stage.replaceChildren(video);
      return;
    }
    video = null;
    note.textContent = "";
    const placeholder = node("div", "hfw-video-placeholder");
    if (PENDING.has(state)) {
      placeholder.classList.add("hfw-pending");
      placeholder.append(node("span", "hfw-spinner"), node("span", "", "Waiting for the video…"));
    } else if (state === "completed") {
      placeholder.textContent = "The task completed without a video URL.";
    } else if (state) {
      placeholder.classList.add("hfw-no-video");
      placeholder.textContent = `No video: the task ended with status “${state}”.`;
    } else {
      placeholder.textContent = "No video yet.";
    }
    stage.replaceChildren(placeholder);
  }

  function showStatus() {
    status.textContent = model.get("status_text") || "";
    status.setAttribute("data-status", model.get("status") || "");
  }

  function showError() {
    const text = model.get("error") || "";
    error.textContent = text;
    error.hidden = !text;
  }

  function showPrompt() {
    const text = model.get("prompt") || "";
    prompt.textContent = text;
    prompt.hidden = !text;
  }

  function showParams() {
    const rows = model.get("params") || [];
    const body = document.createElement("tbody");
    for (const [label, value] of rows) {
      const row = document.createElement("tr");
      row.append(node("th", "", String(label)), node("td", "", String(value)));
      body.append(row);
    }
    params.replaceChildren(body);
    params.hidden = rows.length === 0;
  }

  function showTree() {
    const feed = model.get("feed_json") || {};
    const wasOpen = tree.firstChild?.open ?? false;
    if (Object.keys(feed).length === 0) {
      tree.replaceChildren();
      tree.hidden = true;
      return;
    }
    const root = branch(null, feed, "Raw feed JSON");
    tree.replaceChildren(root);
    tree.hidden = false;
    root.open = wasOpen;
  }

  function showDownload() {
    const busy = model.get("downloading");
    download.disabled = busy || !isHttpUrl(model.get("video_url"));
    download.textContent = busy ? "Saving…" : "Download mp4";
    const path = model.get("download_path") || "";
    saved.textContent = path ? `Saved to ${path}` : "";
  }

  on(download, "click", () => {
    if (download.disabled) return;
    download.disabled = true; // until the kernel answers through `downloading`
    model.send({ type: "download" });
  });

  const handlers = {
    "change:video_url": () => {
      showStage();
      showDownload();
    },
    "change:status": () => {
      showStage();
      showStatus();
    },
    "change:status_text": showStatus,
    "change:error": showError,
    "change:prompt": showPrompt,
    "change:params": showParams,
    "change:feed_json": showTree,
    "change:downloading": showDownload,
    "change:download_path": showDownload,
  };
  for (const [event, handler] of Object.entries(handlers)) model.on(event, handler);

  showStatus();
  showError();
  showStage();
  showPrompt();
  showParams();
  showTree();
  showDownload();

  return () => {
    listeners.abort();
    for (const [event, handler] of Object.entries(handlers)) model.off(event, handler);
    if (video) video.removeAttribute("src"); // stop fetching once the view is gone
  };
}

export default { render };

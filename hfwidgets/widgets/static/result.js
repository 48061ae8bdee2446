// The result part: a region "Result" with the video, status, Download mp4, the
// prompt the service ran, the parameters and a lazily built tree of the raw feed
// JSON. Reads status, status_text, video (a media ref), prompt, params, error,
// feed_json, downloading and download_path: top-level traits of a ResultView, or
// the fields of the Studio's `result` dict.

const JSON_CHUNK = 100;
const PENDING = new Set(["queued", "in_progress"]);

function jsonSummary(value) {
  if (Array.isArray(value)) return `[${value.length}]`;
  return `{${Object.keys(value).length}}`;
}

function jsonLeaf(key, value) {
  const row = node("div", "hfw-json-leaf");
  if (key !== null) row.append(node("span", "hfw-json-key", `${key}: `));
  row.append(node("span", "hfw-json-value", JSON.stringify(value)));
  return row;
}

// One collapsible node; its children are built the first time it is opened.
function jsonBranch(ctx, key, value, label) {
  const details = node("details", "hfw-json-node");
  const summary = node("summary");
  summary.append(node("span", "hfw-json-key", label ?? `${key}`), node("span", "hfw-json-meta", ` ${jsonSummary(value)}`));
  const body = node("div", "hfw-json-children");
  details.append(summary, body);
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  let built = 0;
  const more = button("hfw-json-more");
  const buildNext = () => {
    const end = Math.min(entries.length, built + JSON_CHUNK);
    const children = [];
    for (; built < end; built++) {
      const [childKey, child] = entries[built];
      children.push(child !== null && typeof child === "object" ? jsonBranch(ctx, childKey, child) : jsonLeaf(childKey, child));
    }
    more.remove();
    body.append(...children);
    if (built < entries.length) {
      more.textContent = ctx.t("show_more", { n: Math.min(JSON_CHUNK, entries.length - built), left: entries.length - built });
      body.append(more);
    }
  };
  more.addEventListener("click", buildNext);
  details.addEventListener("toggle", () => {
    if (details.open && built === 0) buildNext();
  });
  return details;
}

// `source` (optional) reads another place: {get(name), names: traits to watch, extra: message fields}.
function resultPart(ctx, scope, source) {
  const { t } = ctx;
  const get = source ? source.get : ctx.reader(scope);
  const root = node("section", "hfw-result");
  const status = node("div", "hfw-result-status");
  const error = node("div", "hfw-error hfw-result-error");
  error.setAttribute("role", "alert");
  const stage = node("div", "hfw-stage");
  const note = node("div", "hfw-video-note");
  const actions = node("div", "hfw-actions");
  const download = button("hfw-download");
  const saved = node("span", "hfw-download-path");
  actions.append(download, saved);
  const prompt = node("p", "hfw-prompt-text");
  const params = node("table", "hfw-params");
  const tree = node("div", "hfw-json-tree");
  root.append(status, error, stage, note, actions, prompt, params, tree);
  let video = null;

  function showStage() {
    const ref = get("video") || "";
    const state = get("status") || "";
    if (ref) {
      if (video && video.dataset.ref === ref) return; // keep playback when other fields change
      video = node("video", "hfw-video");
      for (const flag of ["controls", "loop", "muted", "playsinline"]) video.setAttribute(flag, "");
      video.muted = true; // the attribute alone does not mute a video made from script
      video.preload = "auto";
      video.addEventListener("error", () => (note.textContent = t("video_failed")));
      note.textContent = isHttpUrl(ref) ? "" : t("loading_video");
      setMedia(ctx, video, ref, () => (note.textContent = t("video_failed")));
      video.addEventListener("loadeddata", () => (note.textContent = ""), { once: true });
      stage.replaceChildren(video);
      return;
    }
    if (video) video.removeAttribute("src");
    video = null;
    note.textContent = "";
    const placeholder = node("div", "hfw-video-placeholder");
    if (PENDING.has(state)) {
      placeholder.classList.add("hfw-pending");
      const spinner = node("span", "hfw-spinner");
      spinner.setAttribute("aria-hidden", "true");
      placeholder.append(spinner, node("span", "", t("waiting_video")));
    } else if (state === "completed") {
      placeholder.textContent = t("no_video_url");
    } else if (state) {
      placeholder.classList.add("hfw-no-video");
      placeholder.textContent = t("no_video_status", { status: state });
    } else {
      placeholder.textContent = t("no_video_yet");
    }
    stage.replaceChildren(placeholder);
  }

  function showText() {
    root.setAttribute("aria-label", t("result"));
    status.textContent = get("status_text") || "";
    status.setAttribute("data-status", get("status") || "");
    const errorText = get("error") || "";
    error.textContent = errorText;
    error.hidden = !errorText;
    const promptText = get("prompt") || "";
    prompt.textContent = promptText;
    prompt.hidden = !promptText;
    const busy = !!get("downloading");
    download.disabled = busy || !get("video");
    download.textContent = busy ? t("saving") : t("download");
    const path = get("download_path") || "";
    saved.textContent = path ? t("saved_to", { path }) : "";
    actions.hidden = !get("video");
  }

  function showParams() {
    const rows = get("params") || [];
    const body = document.createElement("tbody");
    for (const [label, value] of rows) {
      const row = document.createElement("tr");
      const head = node("th", "", String(label));
      head.scope = "row";
      row.append(head, node("td", "", String(value)));
      body.append(row);
    }
    params.replaceChildren(body);
    params.hidden = rows.length === 0;
  }

  let shownFeed = null;
  function showTree() {
    const feed = get("feed_json") || {};
    const key = JSON.stringify(feed);
    if (key === shownFeed) return;
    shownFeed = key;
    const wasOpen = tree.firstChild?.open ?? false;
    if (Object.keys(feed).length === 0) {
      tree.replaceChildren();
      tree.hidden = true;
      return;
    }
    const rootNode = jsonBranch(ctx, null, feed, t("raw_feed"));
    tree.replaceChildren(rootNode);
    tree.hidden = false;
    rootNode.open = wasOpen;
  }

  function showAll() {
    showStage();
    showText();
    showParams();
    showTree();
  }

  ctx.on(download, "click", () => {
    if (download.disabled) return;
    download.disabled = true; // until the kernel answers through `downloading`
    ctx.send("download", source ? source.extra : {});
  });
  ctx.watch(source ? source.names : scope ? [scope, "lang"] : ["video", "status", "status_text", "error", "prompt", "params", "feed_json", "downloading", "download_path", "lang"], showAll);
  ctx.cleanup(() => {
    if (video) video.removeAttribute("src"); // stop fetching once the view is gone
  });
  showAll();
  return root;
}

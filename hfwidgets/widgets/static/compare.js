// Compare: the region "Comparison" (2 to 4 videos side by side, one "Play all" / "Pause all"
// button and one "Position" slider moving every video together, the parameters that differ
// marked ≠) and the Studio History's chooser (a checkbox "Compare <entry label>" per finished
// entry, then "Compare"). The region reads the `comparison` dict trait ({} hides it):
// items [{label, short, video (a media ref), duration}], differ [[label, [texts]]], same [[label, text]].
// Kept short: this code is saved in every notebook with a Studio.

function comparePart(ctx, closable) {
  const { model, t } = ctx;
  const root = node("section", "hfw-compare");
  const title = node("strong");
  const close = button();
  close.hidden = !closable;
  const play = button("hfw-primary");
  const position = node("input");
  position.type = "range";
  position.step = "0.01";
  const where = field("", position, "hfw-compare-position");
  const clock = node("span");
  const stage = node("div", "hfw-compare-stage");
  const table = node("table", "hfw-params");
  const same = node("p");
  const bar = node("div", "hfw-row");
  bar.append(play, where.wrap, clock, close);
  root.append(title, bar, stage, table, same);
  let videos = [];
  let playing = false;
  let frame = 0;
  let shown;
  const end = (v) => v.duration || 0;
  const lead = () => videos.reduce((a, v) => (end(v) > end(a) ? v : a));

  // Every video to `at` seconds (or its end); with `drift`, only those more than 0.15 s away.
  function moveTo(at, drift) {
    for (const v of videos) {
      const to = Math.min(at, end(v) || at);
      if (!drift || Math.abs(v.currentTime - to) > 0.15) v.currentTime = to;
    }
    position.value = at;
    clock.textContent = `${at.toFixed(1)} / ${(+position.max).toFixed(1)} s`;
  }
  function tick() {
    moveTo(lead().currentTime, true);
    frame = requestAnimationFrame(tick);
  }
  function setPlaying(on) {
    playing = on && videos.length > 0;
    play.textContent = t(playing ? "pause_all" : "play_all");
    cancelAnimationFrame(frame);
    if (playing) frame = requestAnimationFrame(tick);
    for (const v of videos) playing ? v.play().catch(() => {}) : v.pause();
  }
  ctx.on(play, "click", () => {
    if (videos.length) moveTo(!playing && +position.value >= +position.max - 0.05 ? 0 : lead().currentTime);
    setPlaying(!playing);
  });
  ctx.on(position, "input", () => moveTo(+position.value));
  ctx.on(close, "click", () => ctx.send("compare_close"));

  function build(items) {
    setPlaying(false);
    position.max = Math.max(0, ...items.map((item) => item.duration || 0));
    videos = items.map((item) => {
      const v = node("video", "hfw-video");
      v.muted = v.playsInline = true;
      v.setAttribute("aria-label", item.label);
      const figure = node("figure");
      figure.append(v, node("figcaption", "", item.label));
      setMedia(ctx, v, item.video, () => figure.append(t("video_failed")));
      // When the longest ends, all start again together.
      ctx.on(v, "ended", () => playing && v === lead() && (moveTo(0), setPlaying(true)));
      ctx.on(v, "loadedmetadata", () => (position.max = Math.max(+position.max, end(v))));
      return v;
    });
    stage.replaceChildren(...videos.map((v) => v.parentNode));
    moveTo(0);
  }

  function show() {
    const c = model.get("comparison") || {};
    const items = c.items || [];
    const differ = c.differ || [];
    root.hidden = !items.length;
    root.setAttribute("aria-label", t("comparison"));
    title.textContent = t("comparison");
    close.textContent = t("close");
    where.label.textContent = t("position");
    play.textContent = t(playing ? "pause_all" : "play_all");
    const key = JSON.stringify(items);
    if (key !== shown) build(items);
    shown = key;
    // The head row names the videos (#1, #2…); each other row is a parameter that differs.
    const row = (head, cells, differs) => {
      const tr = node("tr", differs && "hfw-differs");
      const first = node(differs ? "th" : "td", "", head);
      tr.append(first, ...cells.map((text) => Object.assign(node(differs ? "td" : "th", "", text), differs ? {} : { scope: "col" })));
      if (differs) first.scope = "row";
      return tr;
    };
    table.replaceChildren(
      node("caption", "", t("compare_differ")),
      row("", items.map((item) => item.short)),
      ...differ.map(([label, texts]) => row(`≠ ${label}`, texts, true)),
    );
    table.hidden = !differ.length;
    const alike = (c.same || []).map((pair) => pair.join(" ")).join(" · ");
    same.textContent = t("compare_same", { rows: alike });
    same.hidden = !alike;
  }
  ctx.watch(["comparison", "lang"], show);
  ctx.cleanup(() => setPlaying(false));
  show();
  return root;
}

// The History's chooser: `pick(entry)` is entry's checkbox (hidden unless it can be compared);
// `done(kept)` forgets entries gone. "Compare" is enabled with 2 to 4 checked, else says why.
// What is checked lives in the model (`compare_checked`), so a view drawn anew keeps it.
function compareChooser(ctx) {
  const { model, t } = ctx;
  const go = button();
  const hint = node("span");
  hint.id = `hfw-c${Math.random()}`;
  go.setAttribute("aria-describedby", hint.id);
  const bar = node("div", "hfw-row");
  bar.append(go, hint);
  const boxes = new Map();
  const checked = () => new Set(model.get("compare_checked") || []);
  const keep = (chosen) => ctx.set("compare_checked", [...chosen].sort((a, b) => a - b));
  ctx.on(go, "click", () => ctx.send("compare", { n: [...checked()].sort((a, b) => a - b) }));
  function done(kept) {
    const chosen = checked();
    let dropped = false;
    for (const [n, wrap] of boxes) {
      if (kept && !kept.has(n)) boxes.delete(n);
      if ((wrap.hidden || !boxes.has(n)) && chosen.delete(n)) dropped = true;
      wrap.firstChild.checked = chosen.has(n);
    }
    if (kept) for (const n of [...chosen]) if (!kept.has(n) && chosen.delete(n)) dropped = true;
    go.textContent = t("compare");
    go.disabled = chosen.size < 2 || chosen.size > 4;
    hint.textContent = go.disabled ? t("compare_hint", { n: chosen.size }) : "";
    bar.hidden = ![...boxes.values()].some((wrap) => !wrap.hidden);
    if (dropped) keep(chosen);
  }
  function pick(entry) {
    let wrap = boxes.get(entry.n);
    if (!wrap) {
      const box = node("input", "hfw-check");
      box.type = "checkbox";
      wrap = node("label", "hfw-check-field");
      wrap.append(box, node("span"));
      ctx.on(box, "change", () => {
        const chosen = checked();
        chosen[box.checked ? "add" : "delete"](entry.n);
        keep(chosen);
        done();
      });
      boxes.set(entry.n, wrap);
    }
    wrap.lastChild.textContent = t("compare");
    wrap.firstChild.setAttribute("aria-label", t("compare_entry", { label: entry.label }));
    wrap.hidden = !entry.comparable;
    return wrap;
  }
  ctx.watch(["compare_checked"], () => done());
  return { bar, pick, done };
}

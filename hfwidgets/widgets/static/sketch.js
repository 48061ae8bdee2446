// The sketch part (Studio): once a first frame is chosen, each motion tile in view plays that
// motion's camera move on it. The picture is the first frame's preview the view already has
// (a blob: URL from the widget channel, or the URL the user gave): nothing is fetched for a
// sketch. The moves (keyframes from the table the emulator renders with) come once per
// catalogue in a "camera_moves" message: {moves: {key: frames}, of: {motion id: key}}.
// A visible "Sketch" badge marks it. With prefers-reduced-motion a sketch is a still (the
// move's last pose). Built before the motion grid: it dresses the tiles as the grid builds them.

function sketchPart(ctx) {
  const { model, t } = ctx;
  const toggle = node("label", "hfw-check-field");
  const box = node("input", "hfw-check");
  box.type = "checkbox";
  const text = node("span");
  toggle.append(box, text);
  const still = window.matchMedia("(prefers-reduced-motion: reduce)");
  const tiles = new Map(); // tile -> {img, id, on, run}
  let moves = { moves: {}, of: {} };
  let ref = "";
  let url = "";

  const first = () => ((model.get("frames") || []).find((f) => f.name === "first") || {}).preview || "";
  ctx.holdPreviews = () => model.get("sketch") && !!first(); // no preview traffic while sketches show
  const seen = new IntersectionObserver(
    (entries) => entries.forEach((e) => e.isIntersecting && show(e.target, tiles.get(e.target))),
    { rootMargin: "120px 0px" },
  );

  function animate(s) {
    if (s.run) s.run.cancel();
    s.run = null;
    const frames = moves.moves[moves.of[s.id]] || [[0, 1, 0, 0, 1]];
    const pose = ([offset, zoom, x, y, squash]) => ({
      offset,
      transform: `scale(${zoom * squash},${zoom}) translate(${-x * 100}%,${-y * 100}%)`,
    });
    s.img.style.transform = still.matches ? pose(frames[frames.length - 1]).transform : "";
    if (!still.matches) s.run = s.img.animate(frames.map(pose), { duration: 5000, iterations: Infinity });
  }

  function show(tile, s) {
    seen.unobserve(tile);
    s.on = !!(url && model.get("sketch"));
    if (s.on && s.img.getAttribute("src") !== url) s.img.src = url;
    s.img.hidden = !s.on;
    tile.classList.toggle("hfw-sketching", s.on);
    if (s.on) animate(s);
    else if (s.run) s.run.cancel();
  }

  function refresh() {
    const on = !!(url && model.get("sketch"));
    for (const [tile, s] of tiles) {
      if (s.on || !on) show(tile, s);
      else seen.observe(tile);
    }
    if (!ctx.holdPreviews() && ctx.releasePreviews) ctx.releasePreviews();
  }

  ctx.onTile = (tile, media, item, name) => {
    const img = node("img", "hfw-sketch");
    img.alt = t("sketch_alt", { name });
    img.hidden = true;
    const badge = node("span", "hfw-badge hfw-sketch-badge", t("sketch_badge"));
    badge.setAttribute("aria-hidden", "true"); // the picture's name says it is a sketch
    media.append(img, badge);
    tile.classList.remove("hfw-sketching");
    tiles.set(tile, { img, id: String(item.id), on: false, run: null });
  };
  ctx.onTiles = (elements) => {
    const kept = new Set(elements);
    for (const tile of tiles.keys()) if (!kept.has(tile)) tiles.delete(tile) && seen.unobserve(tile);
    ctx.send("camera_moves");
    refresh();
  };
  const onMessage = (message) => {
    if (!message || message.type !== "camera_moves") return;
    moves = message;
    tiles.forEach((s) => s.on && animate(s));
  };
  model.on("msg:custom", onMessage);

  function showImage() {
    toggle.hidden = !first();
    if (first() === ref) return;
    ref = first();
    url = "";
    refresh();
    if (ref) ctx.media.url(ref).then((u) => ref === first() && ((url = u), refresh()), () => {});
  }

  ctx.on(box, "change", () => ctx.set("sketch", box.checked));
  ctx.on(still, "change", () => tiles.forEach((s) => s.on && animate(s)));
  ctx.watch(["frames"], showImage);
  ctx.watch(["sketch"], () => ((box.checked = !!model.get("sketch")), refresh()));
  ctx.watch(["lang"], () => (text.textContent = t("sketch_toggle")));
  ctx.cleanup(() => (seen.disconnect(), model.off("msg:custom", onMessage)));
  text.textContent = t("sketch_toggle");
  box.checked = !!model.get("sketch");
  showImage();
  return toggle;
}

// The Explorer view: Run, status and cost, then one result part per motion x seed cell, each
// with a checkbox "Compare <cell label>"; "Compare" opens the region "Comparison" (compare.js).

function render({ model, el }) {
  const ctx = context(model, el, "hfw-explorer");
  const { t } = ctx;
  const { banner, notice, error } = topParts(ctx);
  const run = button("hfw-generate hfw-primary");
  const status = statusPart(ctx);
  const grid = node("div", "hfw-explorer-grid");
  const actions = node("div", "hfw-actions-row");
  actions.append(run);
  const chooser = compareChooser(ctx);
  el.replaceChildren(banner, notice, error, actions, status, grid, chooser.bar, comparePart(ctx, true));
  let built = -1;
  // A cell as the chooser sees it (numbered from 1, as the view sends it).
  const entry = (cell, i) => ({ n: i + 1, label: cell.label || "", comparable: cell.status === "completed" && !!cell.video });
  function showPicks() {
    (model.get("cells") || []).forEach((cell, i) => chooser.pick(entry(cell, i)));
    chooser.done();
  }

  function buildCells() {
    const cells = model.get("cells") || [];
    if (cells.length === built) return;
    built = cells.length;
    grid.replaceChildren(
      ...cells.map((_, i) => {
        const cell = node("div", "hfw-explorer-cell");
        const caption = node("div", "hfw-explorer-caption");
        const get = (name) => ((model.get("cells") || [])[i] || {})[name];
        caption.textContent = get("label") || "";
        ctx.watch(["cells"], () => (caption.textContent = get("label") || ""));
        cell.append(caption, resultPart(ctx, null, { get, names: ["cells", "lang"], extra: { cell: i } }), chooser.pick(entry(cells[i], i)));
        return cell;
      }),
    );
  }
  function show() {
    const busy = model.get("busy") || "";
    const n = (model.get("cells") || []).length;
    run.textContent = busy === "running" ? t("running") : busy === "done" ? t("done") : t("run_n", { n });
    run.disabled = !!busy;
    grid.style.setProperty("--hfw-columns", String(model.get("columns") || 1));
  }
  ctx.on(run, "click", () => ctx.send("generate"));
  ctx.watch(["busy", "status", "columns", "lang"], show);
  ctx.watch(["cells"], buildCells);
  ctx.watch(["cells", "lang"], showPicks);
  buildCells();
  showPicks();
  show();
  return () => ctx.destroy();
}

export default { render };

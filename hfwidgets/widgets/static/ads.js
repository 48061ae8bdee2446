// The AdsPanel view: template id, product image, size, Make the ad, status and cost, result.

function render({ model, el }) {
  const ctx = context(model, el, "hfw-ads-panel");
  const { t } = ctx;
  const { banner, notice, error } = topParts(ctx);
  const template = node("input", "hfw-template-id");
  template.type = "text";
  template.spellcheck = false;
  const templateField = field(t("template_id"), template, "hfw-template");
  const size = node("select", "hfw-select hfw-ad-size");
  const sizeField = field(t("size"), size, "hfw-ad-size-field");
  const make = button("hfw-generate hfw-primary");
  const status = statusPart(ctx);
  const row = node("div", "hfw-row");
  row.append(templateField.wrap, sizeField.wrap);
  const actions = node("div", "hfw-actions-row");
  actions.append(make);
  el.replaceChildren(banner, notice, error, row, frameInputs(ctx), actions, status, resultPart(ctx, "result_state"));

  function show() {
    templateField.label.textContent = t("template_id");
    sizeField.label.textContent = t("size");
    if (document.activeElement !== template) template.value = model.get("template_id") || "";
    const sizes = model.get("sizes") || [];
    if (size.dataset.options !== sizes.join()) {
      size.dataset.options = sizes.join();
      size.replaceChildren(...sizes.map((s) => Object.assign(node("option", "", s), { value: s })));
    }
    size.value = model.get("size");
    const busy = model.get("busy") || "";
    make.textContent = busy ? t(busy === "waiting" ? "waiting" : "submitting") : t("make_ad");
    make.setAttribute("aria-label", t("make_ad"));
    make.disabled = !!busy;
  }
  const commitTemplate = () => {
    if (template.value !== model.get("template_id")) ctx.set("template_id", template.value);
  };
  ctx.on(template, "change", commitTemplate);
  ctx.on(size, "change", () => ctx.set("size", size.value));
  ctx.on(make, "click", () => {
    commitTemplate();
    ctx.send("generate");
  });
  ctx.watch(["template_id", "size", "sizes", "busy", "status", "lang"], show);
  show();
  pasteAnywhere(ctx, el);
  return () => ctx.destroy();
}

export default { render };

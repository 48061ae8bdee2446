// The Comparison widget's view (`hfwidgets.compare(feeds)`, `Explorer.compare()`): the
// Comparison region alone, with the error line every widget has.

function render({ model, el }) {
  const ctx = context(model, el, "hfw-comparison");
  const { error } = topParts(ctx);
  el.replaceChildren(error, comparePart(ctx, false));
  return () => ctx.destroy();
}

export default { render };

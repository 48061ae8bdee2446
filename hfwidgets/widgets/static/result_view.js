// The ResultView view: the result part alone, with the widget's error line on top.

function render({ model, el }) {
  const ctx = context(model, el, "hfw-result-view");
  el.replaceChildren(resultPart(ctx, null));
  return () => ctx.destroy();
}

export default { render };

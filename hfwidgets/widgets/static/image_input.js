// The ImageInput view: the frame slots alone, with the widget's error line.

function render({ model, el }) {
  const ctx = context(model, el, "hfw-image-input");
  const { error } = topParts(ctx);
  el.replaceChildren(frameInputs(ctx), error);
  pasteAnywhere(ctx, el);
  return () => ctx.destroy();
}

export default { render };

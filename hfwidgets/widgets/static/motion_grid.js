// The MotionGrid view: the motion grid part alone, with the widget's error line.

function render({ model, el }) {
  const ctx = context(model, el, "hfw-motion-grid-view");
  const { error } = topParts(ctx);
  el.replaceChildren(error, motionGrid(ctx));
  return () => ctx.destroy();
}

export default { render };

(root) => {
  const parentOf = (el) => el.parentElement || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null);
  // Any CSS colour (rgb, color(srgb ...), oklch, color-mix results) to sRGB bytes, via a canvas.
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const paint = canvas.getContext('2d', {willReadFrequently: true});
  const parse = (text) => {
    if (!text || text === 'transparent') return {r: 0, g: 0, b: 0, a: 0};
    paint.clearRect(0, 0, 1, 1);
    paint.fillStyle = '#000';
    paint.fillStyle = text;
    paint.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = paint.getImageData(0, 0, 1, 1).data;
    return {r, g, b, a: a / 255};
  };
  const over = (top, bottom) => {  // top composited over an opaque bottom
    const a = top.a;
    return {r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a),
            b: top.b * a + bottom.b * (1 - a), a: 1};
  };
  const luminance = (c) => {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  };
  // The colour behind `el`: its own background and its ancestors', composited from the first
  // opaque one down. A background image (a picture, a gradient) makes the answer unknown.
  const backgroundOf = (el) => {
    const layers = [];
    let image = null;
    for (let node = el; node; node = parentOf(node)) {
      const style = getComputedStyle(node);
      // A form control's background image is its arrow or check mark, not what is behind the text.
      const control = node.matches('select, input, textarea');
      if (!control && style.backgroundImage && style.backgroundImage !== 'none') {
        image = style.backgroundImage.slice(0, 60);
        break;
      }
      const color = parse(style.backgroundColor);
      if (color && color.a > 0) { layers.push(color); if (color.a >= 1) break; }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};  // the canvas, if nothing is opaque
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return {color: result, image};
  };
  const opacityOf = (el) => {
    let value = 1;
    for (let node = el; node; node = parentOf(node)) value *= Number(getComputedStyle(node).opacity);
    return value;
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) return false;  // visually hidden (a labelled file input)
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && !el.closest('[aria-hidden="true"]');
  };
  const describe = (el) => {
    const role = el.getAttribute('role');
    const label = el.getAttribute('aria-label');
    return el.tagName.toLowerCase() + (role ? `[role=${role}]` : '') + (label ? `[aria-label="${label}"]` : '');
  };
  const all = [];
  const walk = (node) => {
    for (const child of node.children) { all.push(child); if (child.shadowRoot) walk(child.shadowRoot); walk(child); }
  };
  all.push(root);
  if (root.shadowRoot) walk(root.shadowRoot);
  walk(root);
  const results = [];
  for (const el of all) {
    const formField = el.matches('input:not([type=checkbox]):not([type=radio]):not([type=file]):not([type=range]):not([type=color]), select, textarea');
    let text = '';
    if (formField) text = el.tagName === 'SELECT' ? (el.selectedOptions[0] || {}).text || '' : el.value;
    else for (const child of el.childNodes) if (child.nodeType === Node.TEXT_NODE) text += child.textContent;
    text = (text || '').trim();
    // An empty field shows its placeholder: that text is measured, in its own colour.
    const placeholder = formField && !text && el.tagName !== 'SELECT' && !!(el.placeholder || '').trim();
    if (placeholder) text = el.placeholder.trim();
    if (!text || !visible(el)) continue;
    const style = getComputedStyle(el, placeholder ? '::placeholder' : null);
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = backgroundOf(el);
    const alpha = fg.a * opacityOf(el) * (placeholder ? Number(style.opacity || 1) : 1);
    const shown = over({...fg, a: alpha}, bg.color);
    const [l1, l2] = [luminance(shown), luminance(bg.color)].sort((a, b) => b - a);
    results.push({
      text: text.slice(0, 60), element: describe(el) + (placeholder ? '::placeholder' : ''),
      ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
      color: style.color, background: `rgb(${Math.round(bg.color.r)}, ${Math.round(bg.color.g)}, ${Math.round(bg.color.b)})`,
      backgroundImage: bg.image, fontSize: style.fontSize, fontWeight: style.fontWeight,
      disabled: !!(el.closest(':disabled') || el.closest('[aria-disabled="true"]')),
    });
  }
  return results;
}

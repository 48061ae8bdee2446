(root) => {
  const all = [root];
  const walk = (node) => {
    for (const child of node.children) {
      all.push(child);
      if (child.shadowRoot) walk(child.shadowRoot);
      walk(child);
    }
  };
  if (root.shadowRoot) walk(root.shadowRoot);
  walk(root);
  const describe = (el) => {
    const role = el.getAttribute('role');
    const label = el.getAttribute('aria-label');
    return el.tagName.toLowerCase() + (role ? `[role=${role}]` : '') + (label ? `[aria-label="${label}"]` : '');
  };
  // Scrollable boxes only: a motion name cut with an ellipsis (overflow hidden) does not scroll.
  const scrolls = (el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
    && (el === root || ['auto', 'scroll'].includes(getComputedStyle(el).overflowX));
  return all.filter(scrolls)
    .map((el) => `${describe(el)}: ${el.scrollWidth} in ${el.clientWidth}`);
}

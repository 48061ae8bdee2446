(root, slack) => {
  const parentOf = (el) => el.parentElement || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null);
  const describe = (el) => {
    const role = el.getAttribute('role');
    const label = el.getAttribute('aria-label');
    const text = (el.innerText || el.value || '').trim().slice(0, 40);
    return el.tagName.toLowerCase() + (role ? `[role=${role}]` : '') + (label ? `[aria-label="${label}"]` : '')
      + (text ? ` "${text}"` : '');
  };
  const scrollsOnItsOwn = (el) => {
    const style = getComputedStyle(el);
    return (style.overflowX === 'auto' || style.overflowX === 'scroll');
  };
  const isHistoryList = (el) => (el.getAttribute('role') === 'list' || (!el.hasAttribute('role') && /^(UL|OL)$/.test(el.tagName)))
    && /history/i.test(el.getAttribute('aria-label') || '');
  const allowedScroller = (el) => scrollsOnItsOwn(el) && (
    isHistoryList(el) || isHistoryList(el.parentElement || el) || el.querySelector('[aria-pressed]') !== null);
  const all = [];
  const walk = (node) => {
    for (const child of node.children) { all.push(child); if (child.shadowRoot) walk(child.shadowRoot); walk(child); }
  };
  if (root.shadowRoot) walk(root.shadowRoot);
  walk(root);
  const rootBox = root.getBoundingClientRect();
  const problems = [];
  if (root.scrollWidth > root.clientWidth + slack)
    problems.push({kind: 'scrolls sideways', element: describe(root), by: root.scrollWidth - root.clientWidth});
  for (const el of all) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width < 2 || box.height < 2 || style.visibility === 'hidden' || style.display === 'none') continue;
    // Inside a container that scrolls on its own (allowed or not, the container is judged).
    let clipper = null;
    for (let node = parentOf(el); node && node !== root; node = parentOf(node)) {
      const s = getComputedStyle(node);
      if (s.overflowX !== 'visible') { clipper = node; break; }
    }
    if (clipper && allowedScroller(clipper)) continue;
    if (!clipper && (box.right > rootBox.right + slack || box.left < rootBox.left - slack))
      problems.push({kind: 'sticks out', element: describe(el), by: Math.round(Math.max(box.right - rootBox.right, rootBox.left - box.left))});
    if (el.scrollWidth > el.clientWidth + slack && !allowedScroller(el) && el.clientWidth > 0) {
      // A frame clipping a picture moved inside it (a motion's sketch: playing, or at its last
      // pose with reduced motion) is cut on purpose.
      const framesAMovingPicture = [...el.children].some((c) => c.tagName === 'IMG'
        && (c.getAnimations().some((a) => a.playState === 'running') || getComputedStyle(c).transform !== 'none'));
      const kind = scrollsOnItsOwn(el) ? 'scrolls sideways' : (style.overflowX === 'visible' || framesAMovingPicture ? null : 'cut');
      if (kind) problems.push({kind, element: describe(el), by: el.scrollWidth - el.clientWidth});
    }
  }
  return {width: Math.round(rootBox.width), problems};
}

(box) => [...box.querySelectorAll('[role=option]')].flatMap((tile) => {
  const img = tile.querySelector('img');
  if (!img || !img.complete || !img.naturalWidth) return [];
  const still = img.previousElementSibling && img.previousElementSibling.tagName === 'CANVAS'
    ? img.previousElementSibling : null;
  return [{name: tile.getAttribute('aria-label'), animated: getComputedStyle(img).visibility === 'visible',
           still: !!still && still.width > 0 && getComputedStyle(still).visibility === 'visible'}];
})
